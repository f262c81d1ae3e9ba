"""Writes the three shipped task sets (easy / medium / hard) and their union, sample_tasks.jsonl.

Run ``python backends/evals/data/make_sets.py`` after editing a task here. Every expected answer
below was worked out by hand; the arithmetic is in the comment after each task.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
MONEY = {"dollars": 1, "dollar": 1, "$": 1, "usd": 1, "cents": 0.01, "cent": 0.01, "¢": 0.01}
EUROS = {"euros": 1, "euro": 1, "€": 1, "eur": 1, "cents": 0.01, "cent": 0.01}
GRAMS = {"g": 1, "grams": 1, "gram": 1, "kg": 1000, "kilograms": 1000, "kilogram": 1000}
SENTIMENT = ["positive", "negative"]
TOPIC = ["sports", "politics", "science", "cooking"]
LANGUAGE = ["English", "French", "Spanish", "German"]
ANIMAL = ["mammal", "bird", "fish", "reptile"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def label(tid, prompt, expected, options, tags):
    return {
        "id": tid,
        "prompt": prompt,
        "expected": expected,
        "check": "contains",
        "options": options,
        "tags": tags,
    }


def review(tid, text, expected):
    prompt = f'Is the sentiment of this review positive or negative? Review: "{text}"'
    return label(tid, prompt, expected, SENTIMENT, ["easy", "classification", "sentiment"])


def topic(tid, text, expected):
    prompt = f'Which topic is this sentence about: sports, politics, science or cooking? "{text}"'
    return label(tid, prompt, expected, TOPIC, ["easy", "classification", "topic"])


def language(tid, text, expected):
    prompt = f'Which language is this sentence in: English, French, Spanish or German? "{text}"'
    return label(tid, prompt, expected, LANGUAGE, ["easy", "classification", "language"])


def animal(tid, name, expected):
    prompt = f"Which class of animal is the {name}: mammal, bird, fish or reptile?"
    return label(tid, prompt, expected, ANIMAL, ["easy", "classification", "animal"])


EASY = [
    review("sent-pizza", "The pizza arrived hot and delicious.", "positive"),
    review("sent-cold", "I waited an hour and the food was cold.", "negative"),
    review("sent-staff", "Absolutely loved the friendly staff.", "positive"),
    review("sent-screen", "The screen cracked after two days.", "negative"),
    review("sent-concert", "Best concert I have been to in years!", "positive"),
    review("sent-hotel", "The room smelled of smoke and the sheets were stained.", "negative"),
    topic("topic-striker", "The striker scored twice in the final minutes of the match.", "sports"),
    topic("topic-budget", "Parliament passed the new budget bill after a long debate.", "politics"),
    topic(
        "topic-comet", "Astronomers measured the speed of the comet with a telescope.", "science"
    ),
    topic("topic-eggs", "Whisk the eggs with sugar, then fold in the flour.", "cooking"),
    topic("topic-penalty", "The goalkeeper saved a penalty in the shootout.", "sports"),
    topic("topic-sauce", "Simmer the tomato sauce for twenty minutes, then add basil.", "cooking"),
    language("lang-fr", "Bonjour, comment allez-vous ?", "French"),
    language("lang-es", "¿Dónde está la estación de tren?", "Spanish"),
    language("lang-de", "Guten Morgen, wie geht es dir?", "German"),
    language("lang-en", "The library opens at nine every morning.", "English"),
    label(
        "spam-cruise",
        'Is this message spam or legitimate? "Congratulations! You have won a '
        'free cruise. Click here to claim your prize now."',
        "spam",
        ["spam", "legitimate"],
        ["easy", "classification", "spam"],
    ),
    label(
        "spam-meeting",
        'Is this message spam or legitimate? "Hi Sam, the meeting moved to '
        '3 pm tomorrow. See you there."',
        "legitimate",
        ["spam", "legitimate"],
        ["easy", "classification", "spam"],
    ),
    animal("animal-eagle", "eagle", "bird"),
    animal("animal-dolphin", "dolphin", "mammal"),  # a mammal, not a fish
    animal("animal-crocodile", "crocodile", "reptile"),
    animal("animal-shark", "shark", "fish"),  # a cartilaginous fish
]


def number(tid, prompt, expected, tags, units=None):
    task = {"id": tid, "prompt": prompt, "expected": expected, "check": "number", "tags": tags}
    if units:
        task["units"] = units
    return task


def text(tid, prompt, expected, tags, check="contains", options=None):
    task = {"id": tid, "prompt": prompt, "expected": expected, "check": check, "tags": tags}
    if options:
        task["options"] = options
    return task


MEET = '"The meeting with Dr. Elena Park is on 2024-09-03 at 14:30 in room B12."'
CONTACT = '"Contact: Jonas Weber, phone +41 44 555 0199, email j.weber@example.org."'
M = ["medium", "extraction"]
MEDIUM = [
    number(
        "ex-invoice",
        "Invoice 4471: 3 chairs at $45 each, plus $12 shipping. What is the total due, in dollars?",
        147,
        M,
        MONEY,
    ),  # 3*45 = 135; 135 + 12 = 147
    text("ex-room", f"Which room is the meeting in? {MEET}", "B12", M),
    text(
        "ex-date",
        f"On what date is the meeting? Answer in YYYY-MM-DD format. {MEET}",
        "2024-09-03",
        M,
    ),
    text("ex-who", f"Who is the meeting with? {MEET}", "Elena Park", M),
    number(
        "ex-weight",
        '"The package weighs 2.5 kg and measures 40 cm by 30 cm." What does '
        "the package weigh, in grams?",
        2500,
        M,
        GRAMS,
    ),  # 2.5 * 1000
    text(
        "ex-flight",
        '"Flight LX318 departs Zurich at 07:45 and lands in London at 08:35." '
        "What is the flight number?",
        "LX318",
        M,
    ),
    number(
        "ex-flour",
        '"The recipe needs 250 ml of milk, 2 eggs and 180 g of flour." How '
        "many grams of flour does it need?",
        180,
        M,
        GRAMS,
    ),
    text(
        "ex-email",
        f"What is the email address in this text? {CONTACT}",
        r"j\.weber@example\.org",
        M,
        check="regex",
    ),
    text("ex-surname", f"What is the contact's surname? {CONTACT}", "Weber", M),
    number(
        "ex-growth",
        '"The population of Lakeside grew from 12,400 in 2010 to 15,100 in '
        '2020." By how many people did it grow?',
        2700,
        M,
    ),  # 15100 - 12400 = 2700
    number(
        "ex-child-ticket",
        '"Tickets cost €18.50 for adults and €9.25 for children." What '
        "does a child's ticket cost, in euros?",
        9.25,
        M,
        EUROS,
    ),
    number(
        "ex-delivery",
        '"Order 8812 shipped on March 4 and arrived on March 9." How many '
        "days did the delivery take?",
        5,
        M,
    ),  # 9 - 4 = 5
    number(
        "ex-temperature",
        '"The temperature rose from -3 °C at dawn to 11 °C at noon." By '
        "how many degrees did it rise?",
        14,
        M,
    ),  # 11 - (-3) = 14
    text(
        "ex-top-scorer",
        '"Ana scored 17 points, Ben 23 and Chloe 19." Who scored the most points?',
        "Ben",
        M,
        options=["Ana", "Ben", "Chloe"],
    ),  # 23 > 19 > 17
    number(
        "ex-rice",
        '"This recipe serves 4 people and uses 300 g of rice." How many grams '
        "of rice are needed for 6 people?",
        450,
        M,
        GRAMS,
    ),  # 300 / 4 * 6 = 450
    number(
        "ex-journey",
        '"The train departs at 09:40 and arrives at 12:15." How long is the journey, in minutes?',
        155,
        M,
    ),  # 09:40 -> 12:15 = 2 h 35 min = 155
    text(
        "ex-model",
        '"Serial number: QX-2291-B. Model: Falcon 3." What is the model name?',
        "Falcon 3",
        M,
    ),
    number(
        "ex-limit",
        '"The speed limit is 50 km/h in town and 80 km/h outside town." What '
        "is the limit outside town, in km/h?",
        80,
        M,
    ),
    number(
        "ex-shipping",
        '"Shipping costs $20 for the first 5 kg and $3 for each extra kg." '
        "What does shipping 8 kg cost, in dollars?",
        29,
        M,
        MONEY,
    ),  # 20 + 3 * 3 = 29
    number(
        "ex-deposit",
        '"The rent is $1,200 per month and the deposit is two months\' rent." '
        "What is the deposit, in dollars?",
        2400,
        M,
        MONEY,
    ),  # 2 * 1200
    number(
        "ex-pencil",
        '"A pencil costs 35 cents and an eraser costs 40 cents." What do the '
        "two cost together, in dollars?",
        0.75,
        M,
        MONEY,
    ),  # 35 + 40 = 75 cents = $0.75
]

H = ["hard", "logic"]
HARD = [
    number(
        "logic-bat-ball",
        "A bat and a ball cost $1.10 in total. The bat costs $1.00 more "
        "than the ball. How much does the ball cost, in dollars?",
        0.05,
        H,
        MONEY,
    ),
    # ball b, bat b + 1: 2b + 1 = 1.10 -> b = 0.05
    number(
        "logic-brothers",
        "Tom has 3 sisters. Each of his sisters has exactly 2 brothers. "
        "How many brothers does Tom have?",
        1,
        H,
    ),  # the 2 brothers are Tom and one more
    number(
        "logic-socks",
        "A drawer holds 10 red socks and 10 blue socks. Without looking, how "
        "many socks must you take out to be sure of two of the same colour?",
        3,
        H,
    ),
    number(
        "logic-bags",
        "Apples are sold only in bags of 6. Maria needs at least 50 apples. "
        "How many bags must she buy?",
        9,
        H,
    ),  # 8 bags = 48 < 50, 9 bags = 54
    number(
        "logic-machines",
        "If 5 machines make 5 widgets in 5 minutes, how many minutes do "
        "100 machines need to make 100 widgets?",
        5,
        H,
    ),  # one machine, one widget, 5 min
    number(
        "logic-lily",
        "A patch of lily pads doubles in size every day and covers the whole "
        "lake on day 48. On which day did it cover half of the lake?",
        47,
        H,
    ),
    text(
        "logic-shortest",
        "Ann is taller than Ben. Cal is shorter than Ben. Dan is taller "
        "than Ann. Who is the shortest?",
        "Cal",
        H,
        options=["Ann", "Ben", "Cal", "Dan"],
    ),
    # Dan > Ann > Ben > Cal
    text(
        "logic-weekday",
        "Today is Wednesday. What day of the week will it be in 10 days?",
        "Saturday",
        H,
        options=DAYS,
    ),  # 10 = 7 + 3: Wednesday + 3 = Saturday
    text(
        "logic-before",
        "What day of the week was it 100 days before a Monday?",
        "Saturday",
        H,
        options=DAYS,
    ),  # 100 = 14 * 7 + 2: Monday - 2 = Saturday
    text(
        "logic-arrival",
        "A train leaves at 14:50 and the trip takes 2 hours 25 minutes. At "
        "what time does it arrive? Answer as HH:MM.",
        "17:15",
        H,
    ),  # 14:50 + 2:25 = 17:15
    number(
        "logic-think",
        "I think of a number, double it and add 6. The result is 20. What number did I think of?",
        7,
        H,
    ),  # 2x + 6 = 20 -> x = 7
    number(
        "logic-ages",
        "Alice is 3 times as old as Bob. In 10 years Alice will be twice as "
        "old as Bob. How old is Bob now?",
        10,
        H,
    ),  # 3b + 10 = 2(b + 10) -> b = 10
    number(
        "logic-pens", "Pens are sold at 3 for $2. How many dollars do 12 pens cost?", 8, H, MONEY
    ),  # 12 / 3 = 4 lots * $2 = $8
    number(
        "logic-sevens",
        "How many times does the digit 7 appear when you write all the "
        "whole numbers from 1 to 100?",
        20,
        H,
    ),  # units: 7..97 = 10; tens: 70..79 = 10
    number(
        "logic-snail",
        "A snail climbs 3 m up a 10 m wall each day and slips back 2 m each "
        "night. On which day does it reach the top?",
        8,
        H,
    ),  # 7 m after 7 nights; day 8
    {
        "id": "logic-largest",
        "prompt": "Which number is the largest? A) 0.7 B) 5/8 C) 0.66 D) 2/3 E) 0.69",
        "expected": "A",
        "check": "choice",
        "tags": H,
    },
    # 0.7 > 0.69 > 2/3 = 0.667 > 0.66 > 5/8 = 0.625
    number(
        "logic-bill",
        "Three friends split a bill of $84. Dana pays twice as much as each "
        "of the other two, who pay equal amounts. How many dollars does Dana pay?",
        42,
        H,
        MONEY,
    ),  # x + x + 2x = 84 -> x = 21, Dana 42
    number(
        "logic-houses",
        "Five houses stand in a row, numbered 1 (left) to 5 (right). The "
        "red house is directly left of the green house, and the green house is number 3. "
        "What number is the red house?",
        2,
        H,
    ),
    text(
        "logic-syllogism",
        "All bloops are razzies and no razzies are lazzies. Can a bloop "
        "be a lazzie? Answer yes or no.",
        "no",
        H,
        options=["yes", "no"],
    ),
    number(
        "logic-rectangle",
        "A rectangle has a perimeter of 30 cm and its length is twice "
        "its width. What is its area, in square centimetres?",
        50,
        H,
    ),
    # 2(2w + w) = 30 -> w = 5, l = 10, area 50
    number("logic-expression", "Compute (3 + 4) × 5 − 6 ÷ 2.", 32, H),  # 35 - 3 = 32
    number(
        "logic-pipes",
        "Pipe A fills a tank in 6 hours and pipe B fills it in 3 hours. How "
        "many hours do the two pipes take together?",
        2,
        H,
    ),  # 1/6 + 1/3 = 1/2 per hour
]

SETS = {"easy_classification": EASY, "medium_extraction": MEDIUM, "hard_logic": HARD}


def write() -> None:
    union = []
    for name, tasks in SETS.items():
        lines = [json.dumps(task, ensure_ascii=False) for task in tasks]
        (HERE / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        union += lines
    (HERE / "sample_tasks.jsonl").write_text("\n".join(union) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write()
