// lifelog web UI: streaming chat, the citation dialog, drag-and-drop import with live
// progress, keyboard shortcuts. Every page works without this file; it only enhances.
"use strict";

(() => {
  const $ = (selector, root = document) => root.querySelector(selector);

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  // -- keyboard: "/" focuses the search box ---------------------------------------
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const box = $("#q") || $("#people-q") || $("#quick-q");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // -- small screens: the header's menu folds away behind a button ------------------
  const menu = $("#menu-toggle");
  if (menu) {
    const header = menu.closest("header");
    menu.hidden = false;
    header.classList.add("foldable");
    menu.addEventListener("click", () => {
      const open = header.classList.toggle("open");
      menu.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // -- the item dialog: citations open their item ---------------------------------
  const dialog = $("#item-dialog");

  async function openItem(itemId, opener) {
    if (!dialog || typeof dialog.showModal !== "function") {
      window.location.href = `/items/${encodeURIComponent(itemId)}`;
      return;
    }
    const body = $("#item-dialog-body");
    const open = $("#item-dialog-open");
    open.href = `/items/${encodeURIComponent(itemId)}`;
    body.replaceChildren(el("p", { text: "Loading…" }));
    dialog.showModal();
    try {
      const response = await fetch(`/items/${encodeURIComponent(itemId)}?fragment=1`, {
        credentials: "same-origin",
      });
      const html = await response.text();
      // Server-rendered and escaped by the server's templates.
      const parsed = new DOMParser().parseFromString(html, "text/html");
      body.replaceChildren(...parsed.body.childNodes);
      const title = $("h1", body);
      if (title) $("#item-dialog-title").textContent = title.textContent;
    } catch (error) {
      body.replaceChildren(el("p", { class: "error", text: `Could not load the item: ${error}` }));
    }
    dialog.addEventListener("close", () => opener && opener.focus(), { once: true });
  }

  // a citation's card shows on hover and focus (CSS); a tap shows it first, a second opens
  let touched = false;
  document.addEventListener("pointerdown", (event) => { touched = event.pointerType === "touch"; });
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a.cite[data-item]") : null;
    for (const open of document.querySelectorAll(".cite-wrap.open")) {
      if (!link || open !== link.parentElement) open.classList.remove("open");
    }
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    const wrap = link.parentElement;
    if (touched && wrap && wrap.classList.contains("cite-wrap") && !wrap.classList.contains("open")) {
      wrap.classList.add("open");
      return;
    }
    openItem(link.dataset.item, link);
  });

  // -- forms: confirm what asks for it; searches leave empty fields out of the URL -----
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (form.method === "get") {
      for (const field of form.querySelectorAll("input[name]")) {
        if (!field.value) field.disabled = true;
      }
      window.addEventListener("pageshow", () => {
        for (const field of form.querySelectorAll("input[name]")) field.disabled = false;
      }, { once: true });
    }
  });

  // -- chat ------------------------------------------------------------------------
  const askForm = $("#ask-form");
  if (askForm) setupChat(askForm);

  function setupChat(form) {
    const question = $("#question");
    const conversation = $("#conversation");
    const status = $("#chat-status");
    const button = $("#ask-button");
    const showReasoning = $("#show-reasoning");
    const reasoning = $("#reasoning");
    const history = [];
    let busy = false;

    showReasoning.checked = localStorage.getItem("lifelog.showReasoning") === "1";
    showReasoning.addEventListener("change", () => {
      localStorage.setItem("lifelog.showReasoning", showReasoning.checked ? "1" : "0");
      for (const details of conversation.querySelectorAll("details.reasoning")) {
        details.open = showReasoning.checked;
      }
    });
    question.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    $("#new-chat").addEventListener("click", () => {
      history.length = 0;
      conversation.replaceChildren();
      status.textContent = "New conversation";
      question.focus();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = question.value.trim();
      if (!text || busy) return;
      ask(text);
    });

    function renderText(target, text, citations) {
      const byNumber = new Map(citations.map((c) => [String(c.number), c]));
      const parts = text.split(/(\[\d+\])/);
      target.replaceChildren();
      for (const part of parts) {
        const match = /^\[(\d+)\]$/.exec(part);
        const citation = match && byNumber.get(match[1]);
        if (citation) {
          target.append(
            el("a", {
              class: "cite",
              href: `/items/${citation.item_id}`,
              "data-item": citation.item_id,
              "aria-label": `source ${citation.number}`,
              text: part,
            }),
          );
        } else {
          target.append(document.createTextNode(part));
        }
      }
    }

    function renderCitations(answer) {
      const fragment = document.createDocumentFragment();
      if (answer.citations.length) {
        const list = el("ol", { class: "citations", "aria-label": "Sources" });
        for (const c of answer.citations) {
          const date = c.date ? c.date.slice(0, 10) : "undated";
          list.append(
            el(
              "li",
              { value: c.number },
              el(
                "a",
                { class: "cite", href: `/items/${c.item_id}`, "data-item": c.item_id },
                el("span", { class: "badge", text: c.source }),
                " ",
                el("time", { text: date }),
                c.author ? el("span", { class: "who", text: ` ${c.author}` }) : null,
              ),
              el("q", { text: c.snippet }),
            ),
          );
        }
        fragment.append(list);
      }
      if (answer.notes.length) {
        const notes = el("ul", { class: "notes" });
        for (const note of answer.notes) notes.append(el("li", { text: note }));
        fragment.append(notes);
      }
      return fragment;
    }

    async function ask(text) {
      busy = true;
      button.disabled = true;
      $("#chat-empty")?.remove();
      const thought = el("pre");
      const details = el("details", { class: "reasoning", hidden: true }, el("summary", { text: "Reasoning" }), thought);
      details.open = showReasoning.checked;
      const answerText = el("div", { class: "answer-text" });
      const progress = answerProgress();
      const answerBox = el("div", { class: "answer", "aria-live": "polite", "aria-busy": "true" }, progress.node, details, answerText);
      const turn = el("li", { class: "turn" }, el("p", { class: "question", text }), answerBox);
      conversation.append(turn);
      turn.scrollIntoView({ block: "end", behavior: "smooth" });
      question.value = "";
      status.textContent = "Answering…";
      let draft = "";
      let final = null;
      try {
        const response = await fetch("/api/ask", {
          method: "POST",
          credentials: "same-origin",
          headers: { "content-type": "application/json", accept: "text/event-stream" },
          body: JSON.stringify({
            question: text,
            reasoning: reasoning.value,
            history: history.slice(-6),
            // the saved conversation to continue, or "new" (conversations.js follows it)
            conversation: form.elements.namedItem("conversation")?.value || "new",
          }),
        });
        if (!response.ok || !response.body) {
          const body = await response.json().catch(() => ({}));
          throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
        }
        for await (const { event, data } of readEvents(response.body)) {
          if (event === "token") {
            draft += data.text;
            answerText.textContent = draft;
          } else if (event === "reasoning") {
            details.hidden = false;
            thought.textContent += data.text;
          } else if (event === "step") {
            progress.step(data.label || data.text);
          } else if (event === "progress") {
            progress.writing(data.label || data.text);
          } else if (event === "conversation") {
            document.dispatchEvent(new CustomEvent("lifelog:conversation", { detail: data }));
          } else if (event === "answer") {
            final = data;
          } else if (event === "error") {
            throw new Error(data.error ? data.error.message : "the answer failed");
          }
        }
        if (!final) throw new Error("the answer stream ended early");
        progress.done();
        const trace = withoutSteps(final.reasoning || "");
        if (trace && !thought.textContent) {
          details.hidden = false;
          thought.textContent = trace;
        }
        if (typeof final.html === "string") {
          // Safe Markdown rendered by the server from inert, escaped text (web_answers.py):
          // no image, no raw HTML, links only to the memory's own items.
          const parsed = new DOMParser().parseFromString(final.html, "text/html");
          answerText.replaceChildren(...parsed.body.childNodes);
          answerText.classList.add("md");
        } else {
          renderText(answerText, final.text, final.citations);
        }
        answerBox.dataset.mode = final.mode;
        answerBox.append(renderCitations({ ...final, citations: final.sources || final.citations }));
        history.push({ question: text, answer: final.text });
        status.textContent = `Answer ready, ${final.citations.length} source${final.citations.length === 1 ? "" : "s"}`;
      } catch (error) {
        progress.done();
        answerText.replaceChildren(el("span", { class: "error", role: "alert", text: String(error.message || error) }));
        status.textContent = "The answer failed";
      } finally {
        answerBox.setAttribute("aria-busy", "false");
        busy = false;
        button.disabled = false;
        question.focus();
      }
    }
  }

  // -- what the answer is doing: searching, each step once, writing, then a summary ------
  function answerProgress() {
    const list = el("ol", { class: "progress-steps", "aria-label": "What lifelog is doing" });
    const now = el("li", { class: "progress-now", text: "Searching your memory…" });
    list.append(now);
    const node = el("div", { class: "progress" }, list);
    const seen = new Set();
    let count = 0;
    return {
      node,
      step(text) {
        if (!text || seen.has(text)) return; // each step once
        seen.add(text);
        count += 1;
        list.insertBefore(el("li", { class: "progress-step", text }), now);
        now.textContent = "Thinking about what it found…";
      },
      writing(text) {
        now.textContent = text;
      },
      done() {
        now.remove();
        if (!count) {
          node.remove();
          return;
        }
        const summary = el("summary", { text: `How this answer was found: ${count} step${count === 1 ? "" : "s"}` });
        node.replaceChildren(el("details", { class: "progress-done" }, summary, list));
      },
    };
  }

  // the trace an answer carries repeats the steps already shown ("step 2: read [3]")
  function withoutSteps(trace) {
    return trace.split("\n").filter((line) => !/^step \d+: /.test(line.trim())).join("\n").trim();
  }

  async function* readEvents(stream) {
    const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data.push(line.slice(6));
        }
        if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
      }
    }
  }

  // -- ingest: drop an export, watch it progress ----------------------------------
  const ingestForm = $("#ingest-form");
  if (ingestForm) setupIngest(ingestForm);

  function setupIngest(form) {
    const zone = $("#dropzone");
    const input = $("#files");
    const section = $("#job");
    const bar = $("#job-progress");
    const status = $("#job-status");
    const report = $("#job-report");

    for (const name of ["dragenter", "dragover"]) {
      zone.addEventListener(name, (event) => {
        event.preventDefault();
        zone.classList.add("over");
      });
    }
    for (const name of ["dragleave", "drop"]) {
      zone.addEventListener(name, () => zone.classList.remove("over"));
    }
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) upload(event.dataTransfer.files);
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (input.files.length) upload(input.files);
    });
    if (section.dataset.job) watch(section.dataset.job);

    async function upload(files) {
      const body = new FormData();
      for (const file of files) body.append("files", file, file.name);
      section.hidden = false;
      bar.value = 0;
      report.replaceChildren();
      status.textContent = `Uploading ${files.length} file${files.length === 1 ? "" : "s"}…`;
      try {
        const response = await fetch("/api/ingest", { method: "POST", body, credentials: "same-origin" });
        const data = await response.json();
        if (!response.ok) throw new Error(data.error ? data.error.message : `HTTP ${response.status}`);
        watch(data.job.id);
      } catch (error) {
        status.textContent = `Upload failed: ${error.message || error}`;
      }
    }

    function show(job) {
      bar.value = job.progress;
      const where = job.current ? ` — ${job.current}` : "";
      status.textContent = `${job.status}: ${job.items.toLocaleString()} items${where}${job.error ? ` — ${job.error}` : ""}`;
      if (job.report) {
        const r = job.report;
        report.replaceChildren(
          el("p", { text: `${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.skipped} skipped.` }),
        );
        if (r.skips.length) {
          const list = el("ul", { class: "notes" });
          for (const s of r.skips.slice(0, 20)) list.append(el("li", { text: `${s.file} [${s.position}]: ${s.reason}` }));
          report.append(list);
        }
        if (r.unrecognised.length) {
          report.append(el("p", { class: "meta", text: `Not in a known format: ${r.unrecognised.join(", ")}` }));
        }
        if (r.known && r.known.length) {
          const files = r.known.map((k) => `${k.file} (${k.path})`).join(", ");
          report.append(el("p", { class: "meta", id: "job-known", text: `Imported before from disk, read there again: ${files}` }));
        }
      }
    }

    function watch(jobId) {
      section.hidden = false;
      section.dataset.job = jobId;
      const source = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/events`);
      source.addEventListener("progress", (event) => show(JSON.parse(event.data)));
      for (const name of ["done", "failed", "interrupted"]) {
        source.addEventListener(name, (event) => {
          show(JSON.parse(event.data));
          source.close();
        });
      }
      // the stream broke (a proxy, a sleeping laptop): ask for the job until it ends
      source.onerror = () => {
        source.close();
        poll(jobId);
      };
    }

    async function poll(jobId) {
      for (let attempt = 0; attempt < 600; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        try {
          const response = await fetch(`/api/jobs/${encodeURIComponent(jobId)}`, { credentials: "same-origin" });
          if (!response.ok) continue;
          const job = await response.json();
          show(job);
          if (["done", "failed", "interrupted"].includes(job.status)) return;
        } catch (error) {
          // offline for now: try again
        }
      }
    }
  }
})();
