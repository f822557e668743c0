"""Citations normalised and checked; links and images that could leak data removed."""

from __future__ import annotations

from lifelog.answer.citations import (
    check_citations,
    cited_numbers,
    clean_output,
    drop_list_loops,
    drop_loops,
    normalise_citations,
    strip_links,
)


def test_citation_spellings_become_one_form() -> None:
    assert normalise_citations("A [1, 2] b [3-5] c [^6] d 【7】 e [source 8].") == (
        "A [1][2] b [3][4][5] c [6] d [7] e [8]."
    )
    assert normalise_citations("In June. [2][3] Then home.") == "In June [2][3]. Then home."
    # a model that writes the stop on both sides of its citation ends with one
    assert normalise_citations("I still don't eat meat. [1].") == "I still don't eat meat [1]."
    assert cited_numbers("x [2] y [1] z [2]") == [2, 1]


def test_citations_to_unretrieved_items_are_removed_and_counted() -> None:
    check = check_citations("In June [1][7]. The tent cost 120 euros [3] [12].", {1, 2, 3})
    assert check.text == "In June [1]. The tent cost 120 euros [3]."
    assert check.cited == (1, 3)
    assert check.removed == (7, 12)


def test_links_not_in_the_evidence_are_removed() -> None:
    evidence = "See https://example.org/trip for the map."
    text = (
        "The map is at https://example.org/trip. ![pixel](https://evil.example/x?d=secret)"
        " More at [here](https://evil.example/y?d=kids) or https://evil.example/z."
        ' <img src="https://evil.example/i.png">'
    )
    cleaned, removed = strip_links(text, evidence)
    assert "evil.example" not in cleaned
    assert "https://example.org/trip" in cleaned
    assert removed == 4
    assert "here" in cleaned and "[link removed]" in cleaned


def test_template_tokens_are_cleaned_from_output() -> None:
    assert clean_output("<|im_start|>assistant In June [1].<|im_end|></s>") == (
        "assistant In June [1]."
    )


def test_a_list_of_the_same_statement_is_one_statement() -> None:
    from lifelog.answer.citations import merge_repeats

    repeated = "June 2023 [1], June 2023 [2], June 2023 [3, 4]"
    assert merge_repeats(repeated) == "June 2023 [1][2][3][4]"
    assert merge_repeats("June 2023 [1]. June 2023 [2].") == "June 2023 [1][2]."
    # different statements, or prose around them, stay as they are
    assert merge_repeats("Yes [1], Oslo [2].") == "Yes [1], Oslo [2]."
    prose = "We went in June 2023 [1], and again in June 2023 [2] with Sam."
    assert merge_repeats(prose) == prose


def test_a_model_looping_to_its_token_limit_says_each_sentence_once() -> None:
    """Qwen2.5-Coder-1.5B in the demo's reasoning step: two sentences written three times,
    the last cut short by the token limit."""
    flat = (
        "The flat is in Campo de Ourique, a short tram ride from the river [4]. "
        "The spare room has a sofa bed [4]. "
    )
    looped = flat * 2 + "The flat is in Campo de Ourique, a short tram [4]"
    text, dropped = drop_loops(looped)
    assert text == flat.strip() and dropped == 3
    # sentences that differ, or a short answer, are left as they are
    assert drop_loops("Oslo [1]. Bergen [2].") == ("Oslo [1]. Bergen [2].", 0)
    assert drop_loops("Oslo [1].") == ("Oslo [1].", 0)
    # a text not cut short is no loop (a list, then the same fact said again)
    listed = "- **Oslo is lovely.** [1]\n- *Oslo is lovely.* [1]\n\nOslo is lovely [1]."
    assert drop_loops(listed) == (listed, 0)
    # line breaks are kept
    assert drop_loops("Ann moved [1].\nShe loves it [2].\nAnn moved [1].\nShe lo [2]") == (
        "Ann moved [1].\nShe loves it [2].",
        2,
    )


def test_a_list_written_round_and_round_names_each_element_once() -> None:
    """Qwen2.5-Coder-1.5B on LoCoMo: the same five activities until the token limit cut
    the last one short; a list of Russian and Korean names the same way."""
    looped = (
        "Hiking, movies, dinner out, photography, outdoor gear, hiking, movies, dinner out,"
        " photography, outdoor g"
    )
    assert drop_list_loops(looped) == ("Hiking, movies, dinner out, photography, outdoor gear", 5)
    cited = "Needy kids [2], children in need [4], children in need [6], children in need [7]"
    assert drop_list_loops(cited) == ("Needy kids [2], children in need [4]", 2)
    names = "Москва [1], 서울 [2], Казань [3], москва [4], 서울 [5]."
    assert drop_list_loops(names) == ("Москва [1], 서울 [2], Казань [3].", 2)
    # one element said again is meant, not a loop; nor is a list of different things
    for meant in (
        "Paris, Rome, Lisbon, and Paris again.",
        "pets [3], stuffed animals [5], friends [2], writing [4], and pets [9]",
        "A [1], B [2], C [3], D [4].",
        "Oslo [1], Oslo [2], Bergen [3].",
    ):
        assert drop_list_loops(meant) == (meant, 0)
    # only within one sentence
    two = "Oslo, Bergen, Oslo, Bergen. Then Oslo, Bergen, Oslo."
    assert drop_list_loops(two) == (two, 0)
