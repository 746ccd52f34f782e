"""Invented-name tables for the demo school, grouped by naming tradition.

A pupil's first name and surname are drawn mostly from the same group so that the roll reads
like a real, diverse UK secondary school rather than random pairs. The tables hold common given
names and surnames only; every combination is invented, and `FAMOUS_PAIRS` removes the few
pairs that would name a well-known person.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NameGroup:
    """First names and surnames of one naming tradition, with its share of the roll."""

    weight: float
    first_names: tuple[str, ...]
    surnames: tuple[str, ...]


# Hand-wrapped: the formatter would put each of ~300 names on its own line.
# fmt: off
NAME_GROUPS: tuple[NameGroup, ...] = (
    NameGroup(  # English, Scottish, Welsh and Irish
        60.0,
        (
            "Oliver", "George", "Harry", "Jack", "Charlie", "Thomas", "James", "William",
            "Alfie", "Freddie", "Archie", "Joshua", "Samuel", "Daniel", "Lewis", "Callum",
            "Ethan", "Finley", "Reuben", "Owen", "Rhys", "Dylan", "Connor", "Ciaran", "Jamie",
            "Max", "Toby", "Oscar", "Leo", "Theo", "Olivia", "Amelia", "Isla", "Ava", "Emily",
            "Sophie", "Grace", "Lily", "Evie", "Ella", "Poppy", "Freya", "Isabelle",
            "Charlotte", "Ruby", "Millie", "Holly", "Megan", "Niamh", "Erin", "Seren", "Cerys",
            "Eilidh", "Hannah", "Chloe", "Maisie", "Phoebe", "Rosie", "Imogen", "Harriet",
        ),
        (
            "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
            "Hall", "Wood", "Jackson", "Clarke", "Hughes", "Edwards", "Turner", "Hill",
            "Cooper", "Ward", "Morris", "Harris", "Baker", "Mitchell", "Parker", "Bennett",
            "Price", "Fletcher", "Marsh", "Lloyd", "Griffiths", "Powell", "Murphy", "O'Brien",
            "Kelly", "Byrne", "Doyle", "Gallagher", "MacDonald", "Campbell", "Stewart",
            "Fraser", "Murray", "Reid", "Pritchard", "Holmes", "Chapman", "Barnes", "Lawson",
        ),
    ),
    NameGroup(  # Pakistani, Indian, Bangladeshi
        14.0,
        (
            "Aisha", "Zara", "Amir", "Hamza", "Ibrahim", "Zain", "Ayaan", "Arjun", "Rohan",
            "Priya", "Anika", "Simran", "Harpreet", "Aarav", "Ishaan", "Fatima", "Maryam",
            "Inaaya", "Sana", "Nadia", "Rahul", "Kiran", "Tanvir", "Sadia", "Nusrat", "Ravi",
        ),
        (
            "Khan", "Ahmed", "Hussain", "Ali", "Patel", "Shah", "Begum", "Rahman", "Islam",
            "Chowdhury", "Miah", "Uddin", "Iqbal", "Akhtar", "Sharma", "Singh", "Kaur", "Gill",
            "Sandhu", "Mistry", "Desai", "Malik", "Mahmood", "Sidhu", "Bains",
        ),
    ),
    NameGroup(  # Black British, West African and Caribbean heritage
        9.0,
        (
            "Chidi", "Tobi", "Kofi", "Kwame", "Ama", "Adaeze", "Chiamaka", "Temi", "Tolu",
            "Femi", "Ayo", "Folake", "Nia", "Jayden", "Kai", "Tyrese", "Malachi", "Precious",
            "Blessing", "Abena", "Kemi", "Ife",
        ),
        (
            "Okafor", "Adeyemi", "Mensah", "Boateng", "Owusu", "Asante", "Okoye", "Adebayo",
            "Francis", "Grant", "Bailey", "Forbes", "Henry", "Osei", "Nwosu", "Eze",
            "Afolabi", "Danso", "Oyelaran", "Charles", "Ogunleye",
        ),
    ),
    NameGroup(  # Polish, Romanian and other Central/Eastern European
        7.0,
        (
            "Jakub", "Kacper", "Szymon", "Filip", "Zuzanna", "Julia", "Maja", "Oliwia",
            "Antoni", "Wiktoria", "Andrei", "Ionut", "Ioana", "Elena", "Matei", "Daria",
            "Lukas", "Tomas",
        ),
        (
            "Nowak", "Kaczmarek", "Mazur", "Krawczyk", "Woźniak", "Dudek", "Wójcik",
            "Popescu", "Ionescu", "Stan", "Dumitru", "Horvat", "Novák", "Kovač", "Kowalczyk",
        ),
    ),
    NameGroup(  # Turkish, Kurdish, Somali, Arab
        5.0,
        (
            "Omar", "Yusuf", "Mustafa", "Layla", "Amira", "Hana", "Idris", "Elif", "Emre",
            "Deniz", "Hodan", "Abdi", "Nasra", "Yasmin", "Zainab",
        ),
        (
            "Yilmaz", "Demir", "Kaya", "Çelik", "Aydin", "Mohamed", "Farah", "Hassan",
            "Osman", "Haddad", "Nasser", "Karimi", "Rahimi", "Ahmadi",
        ),
    ),
    NameGroup(  # Chinese and Vietnamese heritage
        3.0,
        ("Mei", "Wei", "Jia", "Hao", "Ling", "Minh", "Linh", "Khanh", "Lucas", "Vivian"),
        ("Chen", "Wang", "Zhang", "Liu", "Wong", "Lam", "Chan", "Nguyen", "Tran", "Pham", "Huang"),
    ),
    NameGroup(  # Portuguese, Spanish, Italian
        2.0,
        ("Tiago", "Beatriz", "Rafael", "Mariana", "Sofia", "Mateo", "Lucia", "Giulia", "Luca"),
        ("Silva", "Santos", "Ferreira", "Costa", "Pereira", "Rossi", "Romano", "Garcia", "Moreira"),
    ),
)

# Pairs the tables can produce that would name a well-known public figure or character.
FAMOUS_PAIRS: frozenset[tuple[str, str]] = frozenset({
    ("Grace", "Jones"), ("Sophie", "Turner"), ("James", "Taylor"), ("Harry", "Hill"),
    ("Charlie", "Brown"), ("Jack", "White"), ("Owen", "Wilson"), ("Jamie", "Murray"),
    ("Amir", "Khan"), ("Zain", "Malik"), ("Chloe", "Kelly"), ("Callum", "Turner"),
    ("William", "Hill"), ("Holly", "Johnson"), ("Ruby", "Murray"), ("Femi", "Adebayo"),
    ("Sana", "Khan"), ("George", "Clarke"),
})
