"""Word banks for the filler: the slots that sentence templates are filled from.

Every bank is a tuple, so choosing from it is deterministic for a seeded RNG.
The banks deliberately avoid the words of the planted facts' questions (see
``facts.py``): filler may mention Lisbon, Priya or Miso, but it never says
*work*, *move*, *camping*, *birthday*, *meat*, *passport* or *wedding*, so a
question about a fact finds the one item that holds it.
"""

from __future__ import annotations

__all__ = ["BANKS"]


def _bank(joined: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in joined.split("|"))


BANKS: dict[str, tuple[str, ...]] = {
    "friend": _bank(
        "Marcus | Jo | Hannah | Dev | Tomás | Ana | Karl | Rachel | Ben | Inês | Olu | "
        "Mei | Chris | Laura | Rui | Sofia | Nadia | Felix | Grace | Omar"
    ),
    # places in Boston (before the move) and in Lisbon (after it)
    "place": _bank(
        "that Thai spot in Somerville | the taqueria on Centre Street | Flour Bakery | "
        "the dumpling bar | the rooftop bar | the noodle house | the bookshop café | "
        "the Lebanese place | the oyster bar in the North End | Tatte | the diner on Mass Ave"
    ),
    "lisbon_place": _bank(
        "Café Lua | the ramen place on Rua da Rosa | Tasca do Chico | "
        "Mercado de Campo de Ourique | Pastelaria Aloma | O Prego da Peixaria | "
        "the wine bar in Alfama | Time Out Market | the Georgian place | the kiosk in Estrela"
    ),
    "city": _bank(
        "Porto | Sintra | Madrid | London | New York | Providence | Cambridge | Seville | "
        "Berlin | Amsterdam | Lagos | Évora | Montreal | Barcelona | Coimbra | Paris | "
        "Cascais | Granada | Copenhagen | Valencia"
    ),
    "day": _bank(
        "tomorrow | tonight | this weekend | next week | on Friday | on Saturday | "
        "on Sunday | on Monday | on Thursday | later today | next Tuesday | after lunch"
    ),
    "weekday": _bank("Monday | Tuesday | Wednesday | Thursday | Friday | Saturday | Sunday"),
    "clock": _bank("7 | 7:30 | 8 | 8:15 | noon | 6:45 | 9 | half past 7 | 10 | 1"),
    "food": _bank(
        "pastéis de nata | ramen | tacos | dumplings | pizza | a green curry | falafel | "
        "sushi | pho | a big salad | shakshuka | bifanas | gnocchi | bao buns | "
        "lentil soup | arroz de marisco | pancakes | a mushroom risotto"
    ),
    "show": _bank(
        "Severance | The Bear | Dark | Succession | Slow Horses | Only Murders | "
        "The Crown | Shrinking | Ted Lasso | Poker Face | Andor | Fleabag"
    ),
    "book": _bank(
        "The Glass Orchard | A Map of Small Hours | Salt and Signal | The Quiet Engine | "
        "Notes from the Harbour | Winter Arithmetic | The Lighthouse Keeper's Ledger | "
        "Field Guide to Clouds | The Paper Garden | Ninety Bridges | "
        "Cold Water Swimming"
    ),
    "thing": _bank(
        "charger | umbrella | blue scarf | book | keys | sunglasses | tupperware | "
        "water bottle | headphones | rain jacket | bike lights | board game"
    ),
    "activity": _bank(
        "a long bike ride | yoga | climbing | a pottery class | the farmers market | "
        "a run along the river | a swim | a museum afternoon | a board game night | "
        "a surf lesson | a picnic | a hike in Sintra | the flea market | a concert"
    ),
    "sport": _bank("running | cycling | swimming | climbing | yoga | rowing | tennis"),
    "reaction": _bank(
        "haha | lol | omg | no way | amazing | hahaha | love it | oh no | wow | "
        "brilliant | ugh | classic | ahah | nice"
    ),
    "emoji": _bank("😂 | ❤️ | 👍 | 🙈 | 🎉 | 😅 | 🙏 | ☀️ | 🌧️ | 😴 | 🤔 | 🥳 | 🐈"),
    "weather": _bank(
        "raining again | so sunny | freezing | really windy | grey and drizzly | "
        "boiling hot | perfect | foggy | snowing | humid"
    ),
    "feeling": _bank(
        "tired | excited | sleepy | so full | a bit sick | great | stressed | relaxed | "
        "jet-lagged | sunburnt"
    ),
    "errand": _bank(
        "groceries | the post office | laundry | the pharmacy | the hardware store | "
        "the bank | a haircut | the dry cleaner | the bike shop | the vet"
    ),
    "num": _bank("2 | 3 | 4 | 5 | 6 | 7 | 8 | 10 | 12 | 15 | 20 | 25"),
    "month": _bank(
        "January | February | March | April | May | June | July | August | September | "
        "October | November | December"
    ),
    "project": _bank(
        "the dashboard | the data pipeline | the quarterly report | the migration | "
        "the churn model | the onboarding docs | the reporting API | the budget sheet"
    ),
    "garden": _bank(
        "tomatoes | herbs | lemons | succulents | fig cuttings | chillies | "
        "lavender plants | ferns | strawberries | peppers"
    ),
    "gear": _bank(
        "a 35mm lens | a new tripod | film stock | a rain cover | a mirrorless body | "
        "a cheap flash | a polarising filter | a prime lens"
    ),
    "tech": _bank(
        "Python 3.12 | SQLite | pandas | type hints | asyncio | dataclasses | pytest | "
        "Docker | PostgreSQL | DuckDB | Rust | regular expressions | Git"
    ),
    "money": _bank(
        "index funds | an emergency fund | the pension | budgeting apps | "
        "savings accounts | inflation | rent | the tax return"
    ),
    "climate": _bank(
        "heat pumps | solar panels | offshore wind | rail travel | city trees | "
        "battery storage | cycling lanes | reforestation"
    ),
    "adj": _bank(
        "great | lovely | strange | hilarious | tiring | fun | chaotic | calm | "
        "surprising | wonderful | long | short"
    ),
    "color": _bank("green | yellow | blue | red | orange | teal | grey | white"),
    "pt": _bank(
        "obrigado | até amanhã | tudo bem | saudade | com licença | desculpa | bom dia | "
        "boa noite | se calhar | fixe"
    ),
    "shop": _bank(
        "Atlas Bank | Lumen Energia | SkyBridge Airlines | CityCycle | Paperleaf Books | "
        "Harbor Property Management | Vodafone | Northshore Insurance"
    ),
}
