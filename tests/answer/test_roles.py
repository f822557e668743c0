"""The right person and the right value: what word overlap cannot see."""

from __future__ import annotations

from lifelog.answer.only_asked import drop_only_asked, only_asked, only_asked_of
from lifelog.answer.roles import (
    asked_role,
    asked_subject,
    misplaced_value,
    off_topic,
    only_addressed,
    topic_words,
    unfounded_premise,
    unsaid_polarity,
    wrong_person,
)

PEOPLE = {"Caroline", "Melanie"}


def test_the_subject_of_a_question_is_found() -> None:
    assert asked_subject("What did Caroline realize after the race?", PEOPLE) == "Caroline"
    assert asked_subject("What is Melanie's favourite book?", PEOPLE) == "Melanie"
    assert asked_subject("Melanie painted what?", PEOPLE) == "Melanie"
    assert asked_subject("Who invited Melanie to the trail?", PEOPLE) is None
    assert asked_subject("When did I move to Lisbon?", PEOPLE) is None


def test_an_answer_from_someone_elses_words_is_about_the_wrong_person() -> None:
    question = "What did Caroline realize after her charity race?"
    cited = [("Melanie", "After the charity race I realized self-care is important.")]
    reason = wrong_person(question, cited, PEOPLE)
    assert reason is not None and "Melanie" in reason and "Caroline" in reason


def test_the_subjects_own_words_or_a_mention_of_them_are_the_right_person() -> None:
    question = "What did Caroline realize after her charity race?"
    assert wrong_person(question, [("Caroline", "I realized I love running.")], PEOPLE) is None
    told = [("Melanie", "Caroline told me the race made her see how strong she is.")]
    assert wrong_person(question, told, PEOPLE) is None
    # a question about nobody in particular is never held to a person
    assert wrong_person("What did we eat?", [("Melanie", "Pizza.")], PEOPLE) is None


def test_the_asked_role_is_the_noun_the_question_wants_a_value_for() -> None:
    assert asked_role("What is the access code for my storage unit?") == "access code"
    assert asked_role("What was her phone number?") == "phone number"
    assert asked_role("How many kids does Melanie have?") is None


def test_a_number_that_belongs_to_another_noun_is_not_the_answer() -> None:
    question = "What is the access code for my storage unit?"
    evidence = ["Your access code for unit 214 is zebra-quartz-77-lighthouse."]
    reason = misplaced_value("The access code for your storage unit is 214.", question, evidence)
    assert reason is not None and "214" in reason and "access code" in reason
    right = "The access code is zebra-quartz-77-lighthouse."
    assert misplaced_value(right, question, evidence) is None
    assert misplaced_value("It is 4821.", question, ["Storage unit access code: 4821"]) is None


def test_a_count_question_keeps_the_number_next_to_its_noun() -> None:
    question = "How many kids does Melanie have?"
    assert misplaced_value("3 kids.", question, ["I took my 3 kids camping."]) is None


def test_calling_someone_by_name_is_not_speaking_of_them() -> None:
    question = "What did Joanna take to the beach in Tampa?"
    people = {"Nate", "Joanna"}
    hey = [("Nate", "Hey Joanna! I took my turtles to the beach in Tampa.")]
    assert wrong_person(question, hey, people) is not None
    told = [("Nate", "Joanna took her turtles to the beach in Tampa.")]
    assert wrong_person(question, told, people) is None


def test_a_person_only_called_by_name_is_not_who_was_asked_for() -> None:
    """LoCoMo conv-41: "John [1]" for who Maria had dinner with, from her message "Wow,
    John! It's great when you have that kind of support. My mom and I made some dinner
    together last night!"."""
    people = {"Maria", "John"}
    question = "Who did Maria have dinner with on May 3, 2023?"
    dinner = "Wow, John! It's great when you have that kind of support. My mom and I made some"
    dinner += " dinner together last night!"
    cited = [("Maria", dinner, ("Maria", "John"))]
    reason = only_addressed("John [1].", question, cited, people)
    assert reason is not None and "only call John by name" in reason
    # named in what is said, the author, asked about, or asked whom she thanked: kept
    told = [("Maria", "I had dinner with John and his kids last night!", ("Maria", "John"))]
    assert only_addressed("John [1].", question, told, people) is None
    by_john = [("John", "Hey Maria! Dinner with you was great.", ("John", "Maria"))]
    assert only_addressed("John [1].", question, by_john, people) is None
    assert only_addressed("John [1].", "Who did Maria thank?", cited, people) is None
    # not a question of who: a name besides the answer is left to other checks
    what = "What did Maria make with her mom?"
    assert only_addressed("Dinner, for John [1].", what, cited, people) is None


def test_a_list_loses_the_parts_its_items_only_ask_about() -> None:
    """LoCoMo conv-26: "Luna, Oliver, Bailey, Oscar [5]" for Melanie's pets, from "we
    got another cat named Bailey too. Here's a pic of Oliver. Can you show me one of
    Oscar?" (Oscar is Caroline's), and "Clarinet, guitar [1][7]" for the instruments
    she plays, where "guitar" is only in her "What type of guitar?"."""
    pets = {
        2: "Luna and Oliver! They are so sweet and playful.",
        5: "They're good- we got another cat named Bailey too. Here's a pic of Oliver."
        " Can you show me one of Oscar?",
    }
    question = "What are Melanie's pets' names?"
    text, dropped, why = drop_only_asked("Luna, Oliver, Bailey, Oscar [5].", question, pets)
    assert (text, dropped, why) == ("Luna, Oliver and Bailey [5].", ["Oscar"], None)
    each = "Luna [2], Oliver [5] and Oscar [5]."
    assert drop_only_asked(each, question, pets)[:2] == ("Luna [2] and Oliver [5].", ["Oscar"])
    play = {1: "Yeah, I play clarinet! Started when I was young.", 7: "What type of guitar?"}
    asked = "What instruments does Melanie play?"
    assert drop_only_asked("Clarinet, guitar [1][7].", asked, play)[:2] == (
        "Clarinet [1].",
        ["guitar"],
    )
    # a sentence that is no list, or a list whose first part is only asked about, goes whole
    assert drop_only_asked("She plays the guitar [7].", asked, play)[2] is not None
    assert drop_only_asked("Guitar and clarinet [1][7].", asked, play)[2] is not None
    # said as well as asked, or asked in the question itself: kept
    both = {1: "What type of guitar? I love my guitar.", 7: "What type of guitar?"}
    assert drop_only_asked("Clarinet, guitar [1].", asked, both) == (
        "Clarinet, guitar [1].",
        [],
        None,
    )
    assert only_asked_of("Guitar [7].", "Does Melanie play guitar?", list(play.values())) is None
    assert only_asked_of("Guitar [7].", asked, list(play.values())) is not None


def test_what_someone_received_from_another_is_in_the_givers_words() -> None:
    """LoCoMo conv-42: "Nate received recommendations for a romantic drama about memory
    and relationships [5]", from Joanna's "Have you seen this romantic drama that's all
    about memory and relationships? It's such a good one." The giver's words answer
    what the receiver got, and a question that puts something forward states it."""
    people = {"Nate", "Joanna"}
    question = "What recommendations has Nate received from Joanna?"
    seen = "Yeah, totally! Have you seen this romantic drama that's all about memory and"
    seen += " relationships? It's such a good one."
    cited = [("Joanna", seen, ("Joanna", "Nate"))]
    answer = "Nate received recommendations for a romantic drama about memory [5]."
    assert wrong_person(question, cited, people, answer=answer) is None
    assert wrong_person("What recommendations has Nate made?", cited, people, answer=answer)
    assert only_asked(answer, [seen]) is None
    assert only_asked_of(answer, question, [seen]) is None
    assert only_asked_of("A romantic drama [1].", question, ["Is it a romantic drama?"])


def test_a_relative_clause_names_the_subject_too() -> None:
    assert asked_subject("What was the reading that Melanie attended about?", PEOPLE) == "Melanie"


def test_a_name_or_acronym_the_items_lack_is_an_unfounded_premise() -> None:
    people = {"Gina", "Jon"}
    evidence = ["I got a fashion internship at an international company"]
    reason = unfounded_premise("Where is Gina's HR internship?", evidence, people)
    assert reason is not None and "HR" in reason
    assert unfounded_premise("Where is Gina's internship?", evidence, people) is None
    assert unfounded_premise("What pot did Mel make?", ["I made a pot"], {"Melanie"}) is None
    dated = ["Back from camping at the beach!"]
    assert unfounded_premise("What did I do in June 2023?", dated, people) is None
    # a place in the clause that sets the scene may be left to the message before
    teammates = ["I met back up with my teammates on the 15th after my trip"]
    after = "When did John meet with his teammates after returning from Chicago?"
    assert unfounded_premise(after, teammates, {"John", "Tim"}) is None
    assert off_topic(after, teammates, {"John", "Tim"}) is None  # "met" is "meet"
    # …not when the main clause is not there either
    swapped = "When did John meet his coach after returning from Chicago?"
    assert unfounded_premise(swapped, ["I had pasta after my trip"], {"John"}) is not None
    # a name of several words is there when one of them is
    lebron = ["LeBron is the man - love his skills and leadership."]
    asked = "What does John like about Lebron James?"
    assert unfounded_premise(asked, lebron, {"John", "Tim"}) is None
    missing = unfounded_premise(asked, ["Love his skills"], {"John", "Tim"})
    assert missing == "the items it cites do not mention Lebron James"
    # a country is there as its people's adjective, and the other way round
    galway = ["I'm gonna stay in Galway, it's great for its arts and Irish music."]
    city = "Which city in Ireland will Tim be staying in?"
    assert unfounded_premise(city, galway, {"John", "Tim"}) is None
    assert unfounded_premise(city, ["I'm gonna stay in Lyon."], {"Tim"}) is not None
    dish = "What French dish did Tim cook?"
    assert unfounded_premise(dish, ["Back from France with a recipe!"], {"Tim"}) is None
    assert unfounded_premise(dish, ["Back from Spain with a recipe!"], {"Tim"}) is not None


def test_an_agent_or_a_gerund_names_the_subject() -> None:
    people = {"Joanna", "Nate", "John", "Tim"}
    assert asked_subject("How many came to the party hosted by Joanna?", people) == "Joanna"
    assert asked_subject("What is the reason behind John wanting to go?", people) == "John"


def test_items_about_something_else_than_the_question_are_off_topic() -> None:
    people = {"John", "Tim"}
    question = "What is one cause that John opposes with his influence and resources?"
    supports = ["I have been supporting youth sports and fair chances for every kid."]
    reason = off_topic(question, supports, people)
    assert reason is not None and "0 of the question's 4 topic words" in reason
    # a short question, or one whose words the items mostly hold, is on topic
    assert off_topic("What is John's favorite style?", ["Contemporary is my style"], people) is None
    on = ["I use my influence and resources for youth sports; it is a cause I believe in."]
    assert off_topic(question, on, people) is None


def test_a_date_answer_rests_on_items_that_speak_of_the_question() -> None:
    """LoCoMo conv-42: "The week before 25 February 2022 [4]" for when Joanna started
    writing her third screenplay, citing her message about finishing her first. A date
    says nothing of what it is the date of, so for "when" one topic word in two missing
    is enough (finalize passes ``least=1``); for other questions it takes three."""
    people = {"Joanna", "Nate"}
    question = "When did Joanna start writing her third screenplay?"
    first = ["I finally finished my first full screenplay and printed it last Friday."]
    reason = off_topic(question, first, people, least=1)
    assert reason is not None and "1 of the question's 3 topic words" in reason
    assert off_topic(question, first, people) is None
    third = ["Started writing my third screenplay this week - a thriller!"]
    assert off_topic(question, third, people, least=1) is None


def test_a_clause_that_sets_the_scene_need_not_be_in_the_cited_item() -> None:
    """The reply names what was found; the reflecting was said around it (LoCoMo conv-42:
    both models' right answers were withheld, 2 of 5 topic words held)."""
    people = {"Joanna", "Nate", "John"}
    question = (
        "What did Joanna find in old notebooks last week that prompted her to reflect on"
        " her progress as a writer?"
    )
    said = ["Joanna: I found some old notebooks with my early writings, so cool!"]
    assert off_topic(question, said, people) is None
    during = "Which book was John reading during his recovery from an ankle injury?"
    assert (
        off_topic(during, ["John: Reading The Alchemist these days, love this book."], people)
        is None
    )
    # with no scene clause every topic word counts: "sugar" is what the question is about
    sugar = "What substitution does Nate suggest for sugar in dairy-free baking?"
    butter = ["Nate: Swap the butter for dairy-free margarine or coconut oil, it works great."]
    reason = off_topic(sugar, butter, people)
    assert reason is not None and "not substitution, sugar" in reason
    # the main clause's words must all be held
    assert off_topic(question, ["Joanna: I found a recipe in my notebook."], people) is not None


def test_the_verbs_a_question_is_put_in_are_not_its_topic() -> None:
    """ "mention", "make", "host" … say how a question is asked: the item that answers
    "What type of ice cream does Joanna mention that Nate makes?" need not repeat them."""
    people = {"Joanna", "Nate"}
    question = "What type of ice cream does Joanna mention that Nate makes and is delicious?"
    assert topic_words(question, people) == ["ice", "cream", "delicious"]
    said = ["Coconut milk ice cream is at the top of my list. It's so smooth and creamy."]
    assert off_topic(question, said, people) is None
    # the words that carry the topic still count: sugar and baking are not in the item
    swapped = "What substitution does Nate suggest for sugar in dairy-free baking?"
    butter = ["You can use dairy-free margarine or coconut oil instead of butter."]
    assert off_topic(swapped, butter, people) is not None


def test_the_kind_of_answer_asked_for_is_not_the_topic() -> None:
    """ "What *areas* of the U.S. …" asks for places; items name the place, not the word."""
    from lifelog.answer.roles import unrelated_sentences

    question = "What areas of the U.S. has John been to or is planning to go to?"
    assert "area" not in topic_words(question, {"John"})
    said = [("The East Coast [2].", ["I'm planning a trip to the East Coast."])]
    assert unrelated_sentences(question, said, {"John", "Maria"}) == []
    assert topic_words("Which places did Ana visit in Peru?", {"Ana"}) == ["visit", "peru"]
    # "multiple times" says how often, not what about
    assert topic_words("What test has John taken multiple times?", {"John"}) == [
        "test",
        "take",
        "multipl",
    ]


def test_an_item_that_only_asks_does_not_state_the_answer() -> None:
    answer = "The colors and patterns were chosen to remind her of art."
    asked = ["That bowl is awesome, Mel! What gave you the idea for all the colors and patterns?"]
    assert only_asked(answer, asked) == "the items it cites only ask about it"
    told = ["I chose the colors and patterns to catch the eye and make people smile."]
    assert only_asked(answer, told) is None
    assert only_asked(answer, [*asked, *told]) is None, "one item that says it is enough"
    # a question that shares none of the answer's words is no evidence either way
    assert only_asked("A guinea pig named Oscar.", ["How are you?"]) is None


def test_an_answer_that_turns_its_item_around_is_caught() -> None:
    explore = ["We're planning to take a team trip next month to explore a new city."]
    reason = unsaid_polarity("The team trip is planned to avoid the city.", explore)
    assert reason == "the items it cites do not say “avoid”"
    assert unsaid_polarity("They never went on the trip.", explore) is not None
    assert unsaid_polarity("They plan to explore a new city.", explore) is None
    # said in the item, in another form: supported
    skipped = ["We didn't go in the end: the storm cancelled it."]
    assert unsaid_polarity("They did not go; the trip was cancelled.", skipped) is None
    assert unsaid_polarity("Он не пошёл.", ["Он пошёл в кино."]) is None  # words it does not know


def test_a_question_with_two_subjects_accepts_either_persons_words() -> None:
    question = "What ice cream does Joanna mention that Nate makes?"
    cited = [("Nate", "I make coconut milk ice cream, it is delicious.")]
    assert wrong_person(question, cited, {"Joanna", "Nate"}) is None
    assert wrong_person(question, [("Tim", "I make ice cream.")], {"Joanna", "Nate", "Tim"})


def test_number_words_and_digits_support_each_other() -> None:
    from lifelog.answer.support import check_support, terms_of

    evidence = {1: terms_of("We were teammates for four years in high school.")}
    assert check_support("4 years [1].", evidence).ok
    assert check_support("For four years [1].", {1: terms_of("We played 4 years.")}).ok


def test_a_question_to_the_listener_is_about_the_listener() -> None:
    people = {"John", "Tim"}
    question = "What genre is the novel that John is writing?"
    asked = [("John", "Hey Tim! On that note, how's your fantasy writing going?", ("John", "Tim"))]
    reason = wrong_person(question, asked, people, answer="Fantasy")
    assert reason is not None and "about Tim" in reason
    # the same words in the first person are John's own
    own = [("John", "My fantasy writing is going well.", ("John", "Tim"))]
    assert wrong_person(question, own, people, answer="Fantasy") is None
    # and a question about Tim is answered by what John asked him
    about_tim = "What genre is the novel that Tim is writing?"
    assert wrong_person(about_tim, asked, people, answer="Fantasy") is None


def test_advice_given_is_the_speakers_even_in_the_second_person() -> None:
    question = "What advice did Tim give John about picking endorsements?"
    said = [("Tim", "Make sure they align with your values and brand.", ("Tim", "John"))]
    answer = "Make sure they align with your values and brand."
    assert wrong_person(question, said, {"John", "Tim"}, answer=answer) is None
    # how someone describes a thing they gave is theirs to say, "you" and all
    gift = "How does Nate describe the stuffed animal he got for Joanna?"
    said = [("Nate", "It's a stuffed animal to remind you of the good vibes.", ("Nate", "Joanna"))]
    answer = "A stuffed animal to remind you of the good vibes."
    assert wrong_person(gift, said, {"Joanna", "Nate"}, answer=answer) is None
    # what Nate has, said to him, is still his, not what Joanna describes
    owned = "What does Nate keep in his living room?"
    said = [("Joanna", "You keep the turtles' tank in your living room!", ("Joanna", "Nate"))]
    assert wrong_person(owned, said, {"Joanna", "Nate"}, answer="The turtles' tank") is None


def test_a_question_opening_with_its_auxiliary_names_its_subject() -> None:
    people = {"Caroline", "Melanie"}
    question = "Did Caroline make the black and white bowl in the photo?"
    assert asked_subject(question, people) == "Caroline"
    caption = [("Melanie", "[shared a photo: a bowl with a black and white design]", people)]
    assert wrong_person(question, caption, people) is not None


def test_a_sentence_unrelated_to_the_question_is_left_out() -> None:
    from lifelog.answer.roles import unrelated_sentences

    question = "What is the name of Dana's puppy?"
    puppy = "Big news: we adopted a puppy! Her name is Pepper."
    secret = "Home admin: the backup recovery key is TANGO-QUARTZ-6619."
    said = [
        ("Pepper [1].", [puppy]),
        ("The backup recovery key is TANGO-QUARTZ-6619 [2].", [secret]),
    ]
    assert unrelated_sentences(question, said, {"Dana Lee"}) == [1]
    # an answer all of whose sentences and items are about something else is all unrelated,
    # where the question is about a named person; a person's own may use other words
    about_ana = "What colour did Ana paint the kitchen?"
    assert unrelated_sentences(about_ana, said, {"Ana"}) == [0, 1]
    assert unrelated_sentences("What colour did I paint the kitchen?", said, set()) == []


def test_who_a_question_is_about_in_other_shapes() -> None:
    """LoCoMo's adversarial questions put one person's fact on the other (conv-26,
    conv-43): "did Tim and his teammates" is about Tim, "did Tim and John" about both;
    "What motivated Melanie to pursue …" is about Melanie."""
    people = {"Tim", "John", "Caroline", "Melanie"}
    both = "How long did Tim and his high school basketball teammates play together?"
    assert asked_subject(both, people) == "Tim"
    assert asked_subject("Where did Tim and John meet?", people) is None
    assert asked_subject("What motivated Melanie to pursue counseling?", people) == "Melanie"
    assert asked_subject("Who invited Melanie to the trail?", people) is None
    said = "Thanks, Melanie. My own journey and the support I got made a huge difference."
    reason = wrong_person(
        "What motivated Melanie to pursue counseling?",
        [("Caroline", said, ("Caroline", "Melanie"))],
        people,
        answer="Her own journey and the support she got",
    )
    assert reason is not None and "Caroline" in reason


def test_what_is_congratulated_or_called_yours_is_the_listeners() -> None:
    people = {"Tim", "John", "Joanna", "Nate"}
    deals = [("Tim", "Wow, Congrats on those deals with Nike and Gatorade!", ("Tim", "John"))]
    question = "What kind of deals did Tim sign with Nike and Gatorade?"
    assert wrong_person(question, deals, people) is not None
    turtles = [("Joanna", "So cute! I love your turtles so much!", ("Joanna", "Nate"))]
    question = "What does Joanna love most about having turtles?"
    assert wrong_person(question, turtles, people) is not None
    own = [("Joanna", "I love my turtles, and your dog too!", ("Joanna", "Nate"))]
    assert wrong_person(question, own, people) is None


def test_an_item_that_does_not_carry_the_answer_does_not_vouch_for_it() -> None:
    """LoCoMo conv-43: "Strength training and flexibility [3]…[7]" cited Tim's questions
    about John's training, and one message of Tim's that holds none of its words."""
    people = {"Tim", "John"}
    cited = [
        ("Tim", "Does strength training have a positive impact on your game?", ("Tim", "John")),
        ("Tim", "For me, it's writing and reading.", ("Tim", "John")),
    ]
    question = "What is Tim trying out to improve his strength and flexibility?"
    answer = "Strength training and flexibility"
    assert wrong_person(question, cited, people, answer=answer) is not None
    assert wrong_person(question, cited[:1] + [("Tim", "I do strength training.")], people,
                        answer=answer) is None  # fmt: skip
