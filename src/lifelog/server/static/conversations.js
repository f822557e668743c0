// lifelog web UI: conversations. The chat's list of saved conversations follows the one
// being held (app.js announces it with a "lifelog:conversation" event once an answer is
// saved); a thread's "Earlier" and "Later" links add those messages in place. Every page
// works without this file.
"use strict";

(() => {
  const $ = (selector, root = document) => root.querySelector(selector);

  // -- the chat: the saved conversation being held --------------------------------------
  const form = $("#ask-form");
  const list = $("#chat-list");
  if (form && list) {
    const field = form.elements.namedItem("conversation");

    document.addEventListener("lifelog:conversation", (event) => {
      const chat = event.detail;
      if (!chat || !chat.id) return;
      field.value = chat.id;
      const address = `/?c=${encodeURIComponent(chat.id)}`;
      if (window.location.pathname + window.location.search !== address) {
        window.history.replaceState(null, "", address);
      }
      let entry = list.querySelector(`li[data-chat="${CSS.escape(chat.id)}"]`);
      if (!entry) {
        const link = document.createElement("a");
        link.href = address;
        entry = document.createElement("li");
        entry.dataset.chat = chat.id;
        entry.append(link);
      }
      const link = $("a", entry);
      link.textContent = chat.title || "Untitled";
      for (const other of list.querySelectorAll("a[aria-current]")) other.removeAttribute("aria-current");
      link.setAttribute("aria-current", "page");
      list.prepend(entry); // the one last continued comes first
      $("#chat-list-empty")?.remove();
    });

    // "New conversation" (the button: app.js empties the page; this forgets which it was)
    $("#new-chat")?.addEventListener("click", () => {
      field.value = "";
      for (const other of list.querySelectorAll("a[aria-current]")) other.removeAttribute("aria-current");
      $(".chat-head")?.remove();
      window.history.replaceState(null, "", "/");
    });
  }

  // -- a thread: earlier and later messages in place ------------------------------------
  const messages = $("#thread-messages");
  if (messages) {
    messages.addEventListener("click", async (event) => {
      const more = event.target instanceof Element ? event.target.closest("a.more[data-direction]") : null;
      if (!more || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      const direction = more.dataset.direction;
      more.setAttribute("aria-busy", "true");
      try {
        const url = new URL(more.href);
        url.searchParams.set("fragment", "1");
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        // server-rendered and escaped by the server's templates
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const list = $("ol.thread", messages);
        const incoming = [...page.querySelectorAll("ol.thread > li")].filter(
          (li) => !li.dataset.item || !list.querySelector(`li[data-item="${CSS.escape(li.dataset.item)}"]`),
        );
        const newLink = $(`a.more[data-direction="${direction}"]`, page);
        const keep = window.scrollY;
        const height = document.documentElement.scrollHeight;
        if (direction === "earlier") {
          // a day already shown at the top is not announced twice
          const firstDay = $("li.day", list);
          const last = incoming[incoming.length - 1];
          if (firstDay && last && last.classList.contains("day") && last.dataset.day === firstDay.dataset.day) incoming.pop();
          else if (firstDay && incoming.some((li) => li.dataset.day === firstDay.dataset.day)) firstDay.remove();
          list.prepend(...incoming);
          window.scrollTo(0, keep + document.documentElement.scrollHeight - height);
        } else {
          const days = [...list.querySelectorAll("li.day")];
          const lastDay = days[days.length - 1];
          const first = incoming[0];
          if (lastDay && first && first.classList.contains("day") && first.dataset.day === lastDay.dataset.day) incoming.shift();
          list.append(...incoming);
        }
        const holder = more.closest("p");
        if (newLink) {
          more.href = newLink.href;
          more.removeAttribute("aria-busy");
        } else {
          holder.remove();
        }
      } catch (error) {
        more.removeAttribute("aria-busy");
        window.location.href = more.href;
      }
    });
    // the message opened is in view
    const focus = $("li.msg.focus", messages);
    if (focus) focus.scrollIntoView({ block: "center" });
  }
})();
