"""The memory benchmark's data, written for this project in the LoCoMo / LongMemEval mould.

``dialogues()``: 12 two-person dialogues, five dated sessions each (2023), in which the
main speaker tells facts, updates two of them later (a new job, a move), introduces a
sibling and a partner by name and later says something about them by name only (the
multi-hop links), and mentions dated events (concerts, trips) -- among small talk from
both speakers. Each dialogue comes with ten questions, labelled with their evidence
memory ids and their kind (fact, update, multi-hop, temporal), phrased unlike the
evidence. Even dialogues are the dev split (tune on them), odd ones the held-out split.

``distractors(n)``: memories of other people (about 400 speakers in many sessions,
2022-2024): small talk and the same kinds of facts with other values, cheap to make.

Everything is generated from fixed seeds: the same data on every machine, nothing
downloaded, and nothing of it is given to the system at run time except as memories.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

PEOPLE = ["Maya", "Tomas", "Ingrid", "Kwame", "Lucia", "Ravi", "Sofia", "Henrik", "Amara",
          "Jonas", "Priya", "Mateo", "Elena", "Yusuf", "Greta", "Dmitri", "Noor", "Felix",
          "Hana", "Oskar", "Leila", "Marco", "Aiko", "Bruno"]
FRIENDS = ["Clara", "Owen", "Zara", "Milo", "Iris", "Theo", "Nadia", "Leo", "Vera", "Emil",
           "Rosa", "Hugo"]
RELATIVES = ["Beth", "Ruben", "Carmen", "Anton", "Delia", "Pavel", "Selma", "Idris", "Freya",
             "Lorenzo", "Mirela", "Tobias", "Ondine", "Casimir", "Yara", "Bastian", "Liesel",
             "Ismael", "Perpetua", "Evander", "Wilma", "Ciaran", "Odette", "Florian"]
PARTNERS = ["Alex", "Sam", "Robin", "Jordan", "Kim", "Charlie", "Dana", "Ezra", "Jules",
            "Morgan", "Quinn", "Remy", "Sasha", "Toni", "Nico", "Ari"]
CITIES = ["Lyon", "Porto", "Tallinn", "Leipzig", "Bilbao", "Ghent", "Krakow", "Turin",
          "Aarhus", "Galway", "Bergen", "Seville", "Utrecht", "Brno", "Graz", "Nantes",
          "Malmo", "Bologna", "Cork", "Tampere", "Lille", "Riga", "Basel", "Split"]
COMPANIES = ["Acme Robotics", "Globex", "Initech", "Umbrella Foods", "Stark Logistics",
             "Wayne Textiles", "Hooli", "Vandelay Imports", "Cyberdyne Labs", "Soylent Farms",
             "Tyrell Optics", "Monarch Press", "Oscorp Energy", "Wonka Sweets", "Gringotts Bank",
             "Duff Brewing", "Massive Dynamic", "Pied Piper", "Nakatomi Trading", "Virtucon"]
JOBS = ["nurse", "carpenter", "pharmacist", "architect", "baker", "translator", "geologist",
        "paramedic", "librarian", "welder", "veterinarian", "pilot", "florist", "plumber",
        "radiographer", "sommelier", "surveyor", "midwife", "locksmith", "cartographer"]
ROLES = ["data analyst", "product designer", "accountant", "sales manager", "copywriter",
         "support engineer", "project lead", "lab technician", "recruiter", "buyer"]
PETS = [("dog", "Biscuit"), ("cat", "Pickle"), ("dog", "Waffles"), ("rabbit", "Clover"),
        ("cat", "Mochi"), ("parrot", "Kiwi"), ("dog", "Pretzel"), ("tortoise", "Sheldon"),
        ("cat", "Noodle"), ("ferret", "Bandit"), ("dog", "Juniper"), ("hamster", "Peanut"),
        ("cat", "Saffron"), ("dog", "Maple"), ("goat", "Bramble"), ("cat", "Tofu")]
INSTRUMENTS = ["cello", "ukulele", "clarinet", "banjo", "harp", "trombone", "accordion",
               "oboe", "mandolin", "bassoon", "sitar", "theremin"]
DISHES = ["shakshuka", "pierogi", "ramen", "paella", "moussaka", "bibimbap", "goulash",
          "ceviche", "risotto", "falafel", "tagine", "laksa", "gnocchi", "pho", "borscht",
          "jambalaya"]
CARS = ["Volvo estate", "Fiat Panda", "Skoda Octavia", "Renault Zoe", "Mini Cooper",
        "Toyota Yaris", "Subaru Outback", "Kia Niro", "Dacia Duster", "Peugeot 208",
        "Mazda MX-5", "Nissan Leaf"]
BANDS = ["Radiohead", "Arctic Monkeys", "Fleetwood Mac", "Daft Punk", "Bjork", "Massive Attack",
         "The Cure", "Portishead", "Beach House", "Khruangbin", "Tame Impala", "Sigur Ros",
         "Caribou", "Bonobo", "Air", "Röyksopp", "Phoenix", "Metronomy", "Alvvays", "Wilco"]
ALLERGIES = ["peanuts", "shellfish", "cats", "pollen", "penicillin", "kiwi fruit", "dust",
             "sesame", "bee stings", "latex"]
TOPICS = [
    "the weather has been {adj} all week", "I finally finished that {thing} I was reading",
    "we should grab coffee soon", "the traffic this morning was {adj}",
    "I'm thinking of repainting the {room}", "my phone screen cracked again",
    "did you watch the match on {day}?", "I've been sleeping badly lately",
    "work has been {adj} this month", "I tried a new recipe for {food} yesterday",
    "the neighbours are renovating their {room}", "my plants are finally growing",
    "I need a new pair of running shoes", "that podcast about {thing} was great",
    "I've started walking to work", "we had a barbecue on {day}",
    "the train was late again on {day}", "I spent the weekend cleaning the {room}",
    "I keep forgetting my umbrella", "the new cafe near the station is {adj}",
    "haha, that sounds like a lot of fun", "oh no, I hope it gets better",
    "that is so exciting, congratulations", "I know exactly what you mean",
    "let me know how it goes", "sounds lovely, tell me more next time",
]
ADJ = ["awful", "lovely", "hectic", "calm", "strange", "brilliant", "exhausting", "grey"]
THINGS = ["novel", "biography", "history book", "crime thriller", "poetry collection", "comic"]
ROOMS = ["kitchen", "hallway", "bedroom", "garage", "bathroom", "living room"]
DAYS = ["Saturday", "Sunday", "Friday", "Tuesday"]
FOODS = ["curry", "lasagne", "soup", "pancakes", "bread", "dumplings"]

# What a main speaker says (the evidence), and how a question asks for it (never the same words).
SAY = {
    "job": ["I work at {company} as a {role}.", "These days I'm a {role} at {company}."],
    "newjob": ["Big news: I left my old job and started at {company} as a {role} this week.",
               "I handed in my notice and joined {company}; I'm their new {role} now."],
    "city": ["I've been living in {city} for about six years now.",
             "Our flat in {city} is tiny but I love the neighbourhood."],
    "move": ["We finally moved! We live in {city} now, boxes everywhere.",
             "The move is done, we're settled in {city} since Monday."],
    "sibling": ["My {rel} {name} is visiting next month.", "I had a long call with my {rel} {name} last night."],
    "sibling2": ["{name} just started a new job as a {job} in {city}.",
                 "{name} has been training for months and now works as a {job}."],
    "partner": ["My partner {name} and I went hiking on Sunday.",
                "{name}, my partner, cooked dinner for us tonight."],
    "partner2": ["{name} had to go to the doctor, turns out {pronoun} is allergic to {allergy}.",
                 "We found out {name} is allergic to {allergy}, so no more of that at home."],
    "pet": ["We adopted a {kind} last week, we named it {pet}.", "Our new {kind} {pet} chewed my slippers."],
    "hobby": ["I've started taking {instrument} lessons on Thursdays.",
              "Practising the {instrument} every evening, my neighbours must hate me."],
    "dish": ["Nothing beats a plate of {dish}, honestly it's my favourite.",
             "If I could eat one thing forever it would be {dish}."],
    "car": ["I bought a second-hand {car} so I can drive to the coast.",
            "My {car} broke down on the motorway yesterday."],
    "concert": ["I saw {band} live last night, what a show!", "Went to the {band} gig yesterday, amazing sound."],
    "trip": ["Just got back from a long weekend in {city}.", "We spent four days in {city}, lovely food."],
}
ASK = {
    "newjob": "Which company does {p} work for now?",
    "move": "In which city does {p} live at the moment?",
    "sibling": "What does {p}'s {rel} do for a living?",
    "partner": "What is {p}'s partner allergic to?",
    "pet": "What is the name of {p}'s pet {kind}?",
    "hobby": "Which musical instrument is {p} learning?",
    "dish": "What food does {p} like best?",
    "car": "What kind of car does {p} drive?",
    "concert": "Which band did {p} see in {month}?",
    "trip": "Where did {p} travel in {month}?",
}
KIND = {"newjob": "update", "move": "update", "sibling": "multi-hop", "partner": "multi-hop",
        "pet": "fact", "hobby": "fact", "dish": "fact", "car": "fact", "concert": "temporal",
        "trip": "temporal"}


def _filler(rng: random.Random) -> str:
    t = rng.choice(TOPICS).format(adj=rng.choice(ADJ), thing=rng.choice(THINGS), room=rng.choice(ROOMS),
                    day=rng.choice(DAYS), food=rng.choice(FOODS))
    return t[0].upper() + t[1:]


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def dialogues(count: int = 12, seed: int = 14) -> list[dict]:
    """[{'name', 'split', 'memories': [record...], 'questions': [...]}]"""
    rng = random.Random(seed)
    out = []
    for d in range(count):
        p, friend = PEOPLE[d], FRIENDS[d % len(FRIENDS)]
        rel, sib = rng.choice(["sister", "brother"]), RELATIVES[d]
        partner, pronoun = PARTNERS[d % len(PARTNERS)], rng.choice(["she", "he"])
        kind, pet = PETS[d % len(PETS)]
        comps = rng.sample(COMPANIES, 2)
        roles = rng.sample(ROLES, 2)
        cities = rng.sample(CITIES, 4)
        bands = rng.sample(BANDS, 2)
        v = {"company": comps[0], "role": roles[0], "city": cities[0], "rel": rel, "name": sib,
             "job": rng.choice(JOBS), "kind": kind, "pet": pet,
             "instrument": INSTRUMENTS[d % len(INSTRUMENTS)], "dish": DISHES[d % len(DISHES)],
             "car": CARS[d % len(CARS)], "allergy": ALLERGIES[d % len(ALLERGIES)],
             "pronoun": pronoun}
        start = datetime(2023, 1, 9, 19, 0, tzinfo=timezone.utc) + timedelta(days=3 * d)
        dates = [start + timedelta(days=int(x)) for x in (0, 38, 81, 127, 170)]
        # what each session plants: (key, values) -- trips and concerts are the dated events
        plan = [
            [("job", {}), ("city", {}), ("sibling", {}), ("trip", {"city": cities[1]})],
            [("pet", {}), ("concert", {"band": bands[0]}), ("partner", {"name": partner})],
            [("hobby", {}), ("sibling2", {"city": cities[2]}), ("dish", {})],
            [("newjob", {"company": comps[1], "role": roles[1]}), ("car", {}),
             ("concert", {"band": bands[1]}), ("partner2", {"name": partner})],
            [("move", {"city": cities[3]}), ("trip", {"city": cities[0] if cities[0] != cities[3] else cities[2]})],
        ]
        memories, planted = [], {}
        for s, (date, items) in enumerate(zip(dates, plan)):
            session = f"{p.lower()}-s{s + 1}"
            turns: list[tuple[str, str, str | None]] = []
            for key, extra in items:
                values = {**v, **extra}
                turns.append((p, rng.choice(SAY[key]).format(**values), key))
                turns.append((friend, _filler(rng), None))
            for _ in range(4):
                turns.insert(rng.randrange(len(turns) + 1), (rng.choice([p, friend]), _filler(rng), None))
            for t, (speaker, text, key) in enumerate(turns):
                mid = f"{p.lower()}-{s + 1}-{t + 1}"
                memories.append({"id": mid, "text": text, "speaker": speaker, "session": session,
                                 "time": _iso(date + timedelta(minutes=2 * t))})
                if key is not None:
                    planted.setdefault(key, []).append((mid, date))
        month = lambda dt: dt.strftime("%B %Y")  # noqa: E731
        qs = []
        for key in ("newjob", "move", "sibling", "partner", "pet", "hobby", "dish", "car"):
            if key == "sibling":
                evidence = [planted["sibling"][0][0], planted["sibling2"][0][0]]
            elif key == "partner":
                evidence = [planted["partner"][0][0], planted["partner2"][0][0]]
            else:
                evidence = [planted[key][0][0]]
            qs.append({"question": ASK[key].format(p=p, rel=rel, kind=kind), "kind": KIND[key],
                       "evidence": evidence, "key": key})
        for key in ("concert", "trip"):
            which = rng.randrange(2)
            mid, date = planted[key][which]
            qs.append({"question": ASK[key].format(p=p, month=month(date)), "kind": "temporal",
                       "evidence": [mid], "key": key})
        for i, q in enumerate(qs):
            q["id"] = f"{p.lower()}-q{i + 1}"
        out.append({"name": p, "split": "dev" if d % 2 == 0 else "held-out",
                    "memories": memories, "questions": qs})
    return out


def _other_text(rng: random.Random) -> str:
    """A fact like the dialogues' (other values) a third of the time, else small talk;
    half the time two clauses."""
    if rng.random() < 0.33:
        key = rng.choice(list(SAY))
        values = {"company": rng.choice(COMPANIES), "role": rng.choice(ROLES),
                  "city": rng.choice(CITIES), "rel": rng.choice(["sister", "brother"]),
                  "name": rng.choice(RELATIVES + PARTNERS), "job": rng.choice(JOBS),
                  "kind": rng.choice(PETS)[0], "pet": rng.choice(PETS)[1],
                  "instrument": rng.choice(INSTRUMENTS), "dish": rng.choice(DISHES),
                  "car": rng.choice(CARS), "allergy": rng.choice(ALLERGIES),
                  "pronoun": rng.choice(["she", "he"]), "band": rng.choice(BANDS)}
        return rng.choice(SAY[key]).format(**values)
    text = _filler(rng)
    if rng.random() < 0.5:
        more = _filler(rng)
        more = more if more.startswith("I ") or more.startswith("I'") else more[0].lower() + more[1:]
        text = f"{text}, and {more}"
    return text


def distractors(n: int, seed: int = 140, prefix: str = "x", pool: int | None = None) -> list[dict]:
    """``n`` memories of other people (400 speakers, sessions of 12-28 turns, 2022-2024).
    With ``pool``, the texts are drawn from that many distinct ones (people repeat
    themselves; it keeps a 200,000-memory stream cheap to embed)."""
    rng = random.Random(seed)
    first = ["Ada", "Ben", "Cora", "Dev", "Eva", "Finn", "Gia", "Hal", "Ivy", "Jay", "Kai",
             "Lea", "Max", "Nia", "Oli", "Pia", "Rex", "Sia", "Tom", "Uma", "Val", "Wes",
             "Xan", "Yas", "Zoe"]
    last = ["Berg", "Costa", "Dahl", "Ek", "Fox", "Gray", "Holm", "Ito", "Jung", "Kay", "Lund",
            "Moss", "Nash", "Orr", "Park", "Quist", "Roth", "Sato", "Todd", "Vik"]
    speakers = [f"{a}{b}" for a in first for b in last[:16]]  # 400 speakers, one word each
    texts = [_other_text(rng) for _ in range(pool)] if pool else None
    base = datetime(2022, 1, 1, tzinfo=timezone.utc).timestamp()
    span = 3 * 365 * 86400
    out = []
    session, left, who, t0 = None, 0, None, base
    for i in range(n):
        if left == 0:
            session = f"{prefix}s{i}"
            left = rng.randint(12, 28)
            who = rng.sample(speakers, 2)
            t0 = base + rng.random() * span
        text = rng.choice(texts) if texts else _other_text(rng)
        out.append({"id": f"{prefix}{i}", "text": text, "speaker": rng.choice(who),
                    "session": session,
                    "time": datetime.fromtimestamp(t0 + 120 * (28 - left), tz=timezone.utc)
                    .strftime("%Y-%m-%dT%H:%M:%SZ")})
        left -= 1
    return out
