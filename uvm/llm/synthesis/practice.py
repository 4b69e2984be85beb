"""Practice tasks for the method writer: a generator of method-writing tasks (selector,
intent, arguments, examples, reference method) and their prompts, exactly as the pipeline
would build them.

The method writer adapter is trained on what this module makes. Each family below is a
kind of method people ask for (arithmetic on the receiver or on arguments, strings, lists,
dictionaries, methods that update ``self``, methods that send other messages to ``self``),
with several ways to name it and random constants, receivers and arguments, so a few
dozen families give thousands of distinct tasks. ``generate`` leaves out every task whose
selector is one to avoid or whose reference is a near-copy of one to avoid (a benchmark's
answers: ``uvm.llm.synthesis.nearcopy``), and every selector the receiver already
understands or that looks like a typo of one (the pipeline would refuse it).

``Rendering`` builds a task in a live image (the object, its slots and methods; the
intent or the examples through ``intend:``), asks the pipeline's own ``Brief`` for the
prompt, and runs the reference to know what each send answers and changes.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from uvm.llm.synthesis.prompt import arg_names_for
from uvm.llm.synthesis.guardian import Signature

MODES = ("plain", "intent", "examples")
WORDS = {2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven", 8: "Eight",
         9: "Nine", 10: "Ten", 11: "Eleven", 12: "Twelve", 20: "Twenty", 100: "Hundred"}
HELPERS = ("calc", "mathKit", "helper", "tool", "util", "numbers", "lab", "kit")


@dataclass(frozen=True)
class Practice:
    """One method-writing task. ``receiver`` is a plain value (the method goes into its
    trait) or None: then the receiver is the object ``name`` with ``slots`` and UVM
    ``methods``. ``body`` is the reference's body with the arguments written A, B, C.
    ``variants`` are other sends ((receiver, args) for a plain receiver, args for an
    object) for examples and checks; ``observe`` names the slot a state change shows in."""
    family: str
    kind: str
    selector: str
    intent: str
    body: str
    args: tuple = ()
    receiver: object = None
    name: str = ""
    slots: tuple = ()
    methods: str = ""
    variants: tuple = ()
    observe: str = ""
    prefixes: tuple = ()    # UVM statements before each variant's send (other slot values)

    def params(self) -> tuple[str, ...]:
        return arg_names_for(self.selector, self.args)

    def signature(self) -> Signature:
        return Signature.for_selector(self.selector, self.params())

    def reference(self) -> str:
        names = dict(zip("ABC", self.params()))
        body = re.sub(r"\b[ABC]\b", lambda m: names[m.group(0)], self.body)
        return self.signature().source() + "\n" + "\n".join(
            "    " + line if line else "" for line in body.split("\n")) + "\n"

    def send_source(self, receiver=None, args=None) -> str:
        """UVM source of the send (by default the task's own)."""
        from uvm.llm.synthesis.receiver import source_of
        receiver = self.receiver if receiver is None else receiver
        args = self.args if args is None else args
        head = self.name if self.receiver is None else source_of(receiver)
        if not args:
            return f"{head} {self.selector}"
        parts = [p for p in self.selector.split(":") if p]
        return head + " " + " ".join(f"{p}: {source_of(a)}" for p, a in zip(parts, args))

    def sends(self) -> list[str]:
        """The task's own send, then its variants' (after their prefixes)."""
        if self.receiver is None:
            prefixes = self.prefixes or ("",) * len(self.variants)
            return [self.send_source()] + [p + self.send_source(None, a)
                                           for p, a in zip(prefixes, self.variants)]
        return [self.send_source()] + [self.send_source(r, a) for r, a in self.variants]

    def shown(self, send: str) -> str:
        """An example's expression: the send, then the slot that shows what it changed."""
        return f"{send}. {self.name} {self.observe}" if self.observe else send


# --- the families --------------------------------------------------------------------------------

def _w(n: int) -> str:
    return WORDS[n]


def _ints(rng, n, lo=-9, hi=20, distinct=True):
    pool = list(range(lo, hi + 1))
    return rng.sample(pool, n) if distinct else [rng.randint(lo, hi) for _ in range(n)]


def _list(rng, lo=-5, hi=12, size=None):
    return [rng.randint(lo, hi) for _ in range(size or rng.randint(2, 5))]


def _num_task(family, selector, intent, body, rng, lo=-6, hi=30):
    xs = _ints(rng, 5, lo, hi)
    return Practice(family, "arithmetic", selector, intent, body, (), xs[0],
                    variants=tuple((x, ()) for x in xs[1:]))


def integers_composed(rng):
    c1, c2 = rng.sample([2, 3, 4, 5, 6, 7, 8, 9, 10], 2)
    pattern = rng.choice([
        ("times{a}Plus{b}", "answer the receiver times {a}, plus {b}", "return self * {a} + {b}"),
        ("times{a}Minus{b}", "answer the receiver times {a}, minus {b}", "return self * {a} - {b}"),
        ("plus{a}Times{b}", "answer the receiver plus {a}, times {b}", "return (self + {a}) * {b}"),
        ("minus{a}Times{b}", "answer the receiver minus {a}, times {b}", "return (self - {a}) * {b}"),
        ("plus{a}Squared", "answer the square of the receiver plus {a}", "return (self + {a}) ** 2"),
        ("squaredPlus{a}", "answer the square of the receiver, plus {a}", "return self * self + {a}"),
        ("squaredMinus{a}", "answer the square of the receiver, minus {a}", "return self * self - {a}"),
        ("plus{a}", "answer the receiver plus {a}", "return self + {a}"),
        ("minus{a}", "answer the receiver minus {a}", "return self - {a}"),
        ("dividedBy{a}", "answer the receiver divided by {a}", "return self / {a}"),
        ("floorDividedBy{a}", "answer the receiver divided by {a}, rounded down", "return self // {a}"),
        ("remainderBy{a}", "answer the remainder of the receiver divided by {a}", "return self % {a}"),
    ])
    sel, intent, body = (p.format(a=_w(c1) if i == 0 else c1, b=_w(c2) if i == 0 else c2)
                         for i, p in enumerate(pattern))
    return _num_task("integers composed", sel, intent, body, rng)


def integers_tests(rng):
    c1, c2 = sorted(rng.sample([2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 20, 100], 2))
    sel, intent, body = rng.choice([
        (f"isAbove{_w(c1)}", f"answer whether the receiver is greater than {c1}", f"return self > {c1}"),
        (f"isBelow{_w(c1)}", f"answer whether the receiver is less than {c1}", f"return self < {c1}"),
        (f"isAtLeast{_w(c1)}", f"answer whether the receiver is {c1} or more", f"return self >= {c1}"),
        (f"isAtMost{_w(c1)}", f"answer whether the receiver is {c1} or less", f"return self <= {c1}"),
        (f"isBetween{_w(c1)}And{_w(c2)}", f"answer whether the receiver is from {c1} to {c2}",
         f"return {c1} <= self <= {c2}"),
        (f"isMultipleOf{_w(c1)}", f"answer whether {c1} divides the receiver evenly", f"return self % {c1} == 0"),
        ("isNegativeNumber", "answer whether the receiver is below zero", "return self < 0"),
        ("isZero", "answer whether the receiver is zero", "return self == 0"),
        ("isNonNegative", "answer whether the receiver is zero or more", "return self >= 0"),
        ("isSingleDigit", "answer whether the receiver is from 0 to 9", "return 0 <= self <= 9"),
        ("isPerfectSquare", "answer whether the receiver is the square of an integer",
         "root = int(self ** 0.5)\nreturn root * root == self"),
    ])
    return _num_task("integer tests", sel, intent, body, rng, 0, 120)


def integers_loops(rng):
    c = rng.choice([2, 3, 4, 5, 7])
    sel, intent, body, lo, hi = rng.choice([
        ("divisorCount", "answer how many positive integers divide the receiver evenly",
         "count = 0\nfor d in range(1, self + 1):\n    if self % d == 0:\n        count = count + 1\nreturn count", 1, 40),
        ("digitProduct", "answer the product of the decimal digits of the receiver",
         "result = 1\nfor c in str(self):\n    result = result * int(c)\nreturn result", 1, 999),
        ("evenDigitCount", "answer how many decimal digits of the receiver are even",
         "return len([c for c in str(self) if int(c) % 2 == 0])", 0, 99999),
        ("firstDigit", "answer the first decimal digit of the receiver", "return int(str(self)[0])", 1, 9999),
        ("lastTwoDigits", "answer the receiver's last two decimal digits as a number", "return self % 100", 0, 9999),
        (f"sumOfMultiplesOf{_w(c)}Below", f"answer the sum of the multiples of {c} below the receiver",
         f"return sum(i for i in range({c}, self, {c}))", 1, 60),
        (f"countOfMultiplesOf{_w(c)}UpTo", f"answer how many multiples of {c} there are from 1 to the receiver",
         f"return self // {c}", 1, 60),
        ("isPowerOfTwo", "answer whether the receiver is 1, 2, 4, 8, 16 and so on",
         "n = self\nwhile n > 1 and n % 2 == 0:\n    n = n // 2\nreturn n == 1", 1, 70),
        ("sumOfSquaresUpTo", "answer 1*1 + 2*2 + ... up to the receiver",
         "return sum(i * i for i in range(1, self + 1))", 1, 15),
        ("productOfOddsUpTo", "answer the product of the odd numbers from 1 to the receiver",
         "result = 1\nfor i in range(1, self + 1, 2):\n    result = result * i\nreturn result", 1, 13),
        ("digitsAsList", "answer a list of the receiver's decimal digits", "return [int(c) for c in str(self)]", 0, 9999),
        ("collatzSteps", "answer how many halving or tripling-plus-one steps take the receiver to 1",
         "n = self\nsteps = 0\nwhile n != 1:\n    if n % 2 == 0:\n        n = n // 2\n    else:\n        n = 3 * n + 1\n    steps = steps + 1\nreturn steps", 1, 30),
        ("nextMultipleOfTen", "answer the smallest multiple of ten greater than the receiver",
         "return (self // 10 + 1) * 10", 0, 200),
        ("orZeroIfNegative", "answer the receiver, or 0 when it is negative",
         "if self < 0:\n    return 0\nreturn self", -20, 20),
        (f"atLeast{_w(c)}", f"answer the receiver, or {c} when the receiver is smaller",
         f"return max(self, {c})", -10, 20),
        (f"atMost{_w(c)}", f"answer the receiver, or {c} when the receiver is larger",
         f"return min(self, {c})", -10, 20),
        ("asRomanTens", "answer 'X' repeated once for each ten in the receiver", "return 'X' * (self // 10)", 0, 99),
        ("asStars", "answer a string of as many '*' as the receiver", "return '*' * self", 0, 9),
        ("asWordEven", "answer 'even' or 'odd' for the receiver",
         "if self % 2 == 0:\n    return 'even'\nreturn 'odd'", 0, 50),
    ])
    return _num_task("integer loops", sel, intent, body, rng, lo, hi)


def helper_numbers(rng):
    """Methods of a helper object on number arguments."""
    name = rng.choice(HELPERS)
    sel, intent, body, arity, lo, hi = rng.choice([
        ("sumOf:And:And:", "answer the sum of the three numbers", "return A + B + C", 3, -9, 30),
        ("productOf:And:And:", "answer the product of the three numbers", "return A * B * C", 3, -5, 9),
        ("meanOf:And:And:", "answer the mean of the three numbers", "return (A + B + C) / 3", 3, 0, 30),
        ("largestOf:And:And:", "answer the largest of the three numbers", "return max(A, B, C)", 3, -9, 30),
        ("smallestOf:And:And:", "answer the smallest of the three numbers", "return min(A, B, C)", 3, -9, 30),
        ("middleOf:And:And:", "answer the middle one of the three numbers", "return sorted([A, B, C])[1]", 3, -9, 30),
        ("squareOfSum:And:", "answer the square of the sum of the two numbers", "return (A + B) ** 2", 2, -6, 9),
        ("differenceOfSquares:And:", "answer the first number squared minus the second squared", "return A * A - B * B", 2, -6, 9),
        ("absoluteDifference:And:", "answer how far apart the two numbers are", "return abs(A - B)", 2, -9, 30),
        ("isDivisor:Of:", "answer whether the first number divides the second evenly", "return B % A == 0", 2, 1, 30),
        ("roundUp:ToMultipleOf:", "answer the first number rounded up to a multiple of the second",
         "return (A + B - 1) // B * B", 2, 1, 40),
        ("wholeTimes:In:", "answer how many whole times the first number fits in the second", "return B // A", 2, 1, 40),
        ("percentChangeFrom:To:", "answer the change from the first number to the second, in percent of the first",
         "return (B - A) * 100 / A", 2, 1, 50),
        ("perimeterOfRectangle:By:", "answer the perimeter of a rectangle with these sides", "return 2 * (A + B)", 2, 1, 20),
        ("areaOfTriangle:Height:", "answer the area of a triangle with this base and height", "return A * B / 2", 2, 1, 20),
        ("lcmOf:And:", "answer the least common multiple of the two numbers",
         "m = max(A, B)\nwhile m % A != 0 or m % B != 0:\n    m = m + 1\nreturn m", 2, 1, 12),
        ("countFrom:To:", "answer how many integers there are from the first number to the second, both included",
         "return B - A + 1", 2, 0, 30),
        ("evensFrom:To:", "answer a list of the even numbers from the first number to the second",
         "return [i for i in range(A, B + 1) if i % 2 == 0]", 2, 0, 15),
        ("multiplesOf:UpTo:", "answer a list of the multiples of the first number up to the second",
         "return list(range(A, B + 1, A))", 2, 1, 30),
        ("squaresUpTo:", "answer a list of the squares of 1, 2, ... n", "return [i * i for i in range(1, A + 1)]", 1, 1, 8),
        ("oddsUpTo:", "answer a list of the odd numbers from 1 to n", "return list(range(1, A + 1, 2))", 1, 1, 15),
        ("factorsOf:", "answer a list of the numbers from 1 to n that divide n",
         "return [d for d in range(1, A + 1) if A % d == 0]", 1, 1, 30),
        ("isEvenNumber:", "answer whether n is even", "return A % 2 == 0", 1, -9, 30),
        ("halfOfSumOf:And:", "answer half the sum of the two numbers", "return (A + B) / 2", 2, -9, 30),
        ("cubeOfDifference:And:", "answer the cube of the first number minus the second", "return (A - B) ** 3", 2, -5, 6),
        ("power:Mod:", "answer the first number squared, modulo the second", "return A * A % B", 2, 1, 20),
        ("larger:Times:", "answer the larger of the two numbers, times the smaller",
         "return max(A, B) * min(A, B)", 2, -6, 12),
        ("sumOfDigitsOf:", "answer the sum of the decimal digits of n",
         "total = 0\nfor c in str(abs(A)):\n    total = total + int(c)\nreturn total", 1, 0, 9999),
        ("tripleSum:And:", "answer three times the sum of the two numbers", "return 3 * (A + B)", 2, -9, 20),
    ])
    argsets = [tuple(_ints(rng, arity, lo, hi)) for _ in range(5)]
    return Practice("helper numbers", "arithmetic", sel, intent, body, argsets[0], None, name,
                    variants=tuple(argsets[1:]))


LETTERS = "abcdefghijklmnopqrstuvwxyz"
TEXTS = ["hello", "world", "banana", "uvm", "python", "level", "stack", "object", "message",
         "image", "method", "prototype", "apple pie", "big red dog", "to be or not", "ada lovelace",
         "grace hopper", "hello world", "a b c", "Mixed Case", "UPPER", "lower", "racecar", "sky",
         "education", "queue", "x", "kiwi", "mississippi", "one two three"]


def _text_task(family, selector, intent, body, rng, args=None, pick=None):
    pick = pick or (lambda: rng.choice(TEXTS))
    texts = []
    while len(texts) < 5:
        t = pick()
        if t not in texts or len(texts) > 3:
            texts.append(t)
    arg_sets = [args() if args else () for _ in range(5)]
    return Practice(family, "string", selector, intent, body, arg_sets[0], texts[0],
                    variants=tuple(zip(texts[1:], arg_sets[1:])))


def strings_transformed(rng):
    c = rng.choice([2, 3, 4, 5])
    sel, intent, body = rng.choice([
        ("inUpperCase|upperCased|asUpperText|allUpper", "answer the string in upper case", "return self.upper()"),
        ("inLowerCase|lowerCased|asLowerText|allLower", "answer the string in lower case", "return self.lower()"),
        ("reversedInUpperCase|upperReversed|shoutedBackwards", "answer the string reversed and in upper case", "return self[::-1].upper()"),
        (f"first{_w(c)}InUpperCase", f"answer the first {c} characters in upper case", f"return self[:{c}].upper()"),
        (f"last{_w(c)}Characters", f"answer the last {c} characters of the string", f"return self[-{c}:]"),
        (f"withoutFirst{_w(c)}", f"answer the string without its first {c} characters", f"return self[{c}:]"),
        (f"withoutLast{_w(c)}", f"answer the string without its last {c} characters", f"return self[:-{c}]"),
        ("withoutFirstCharacter|allButFirst|tail|droppingFirst", "answer the string without its first character", "return self[1:]"),
        ("firstAndLastCharacter|ends|outerLetters", "answer the first and the last character joined", "return self[0] + self[-1]"),
        ("trimmed|stripped|withoutOuterSpaces", "answer the string without spaces at either end", "return self.strip()"),
        ("withUnderscores|snakeCased|spacesToUnderscores", "answer the string with every space replaced by an underscore", "return self.replace(' ', '_')"),
        ("shoutedTwice|loudTwice|echoedLoudly", "answer the string in upper case, two times with a space between",
         "loud = self.upper()\nreturn loud + ' ' + loud"),
        ("swappedCase|caseSwapped|invertedCase", "answer the string with upper-case letters made lower case and lower-case upper case",
         "return self.swapcase()"),
        ("everyOtherCharacter|oddPositions|alternateLetters", "answer every second character of the string, from the first", "return self[::2]"),
        ("doubledCharacters|stuttered|eachLetterTwice", "answer the string with every character written twice",
         "return ''.join(c + c for c in self)"),
        ("vowelsOnly|justVowels|vowelLetters", "answer only the vowels of the string, in order",
         "return ''.join(c for c in self if c in 'aeiouAEIOU')"),
        ("firstWord|leadingWord|wordOne", "answer the first word of the string", "return self.split()[0]"),
        ("lastWord|finalWord|trailingWord", "answer the last word of the string", "return self.split()[-1]"),
        ("wordsReversed|reversedWordOrder|backwardsWords", "answer the string with its words in reverse order", "return ' '.join(self.split()[::-1])"),
        ("wordsInList|asWords|wordList|splitIntoWords", "answer a list of the words of the string", "return self.split()"),
        ("longestWordLength|maxWordLength|sizeOfLongestWord", "answer the length of the longest word",
         "return max(len(w) for w in self.split())"),
        ("capitalizedFirstWord|sentenceCased|asSentence", "answer the string with only its first character in upper case",
         "return self[:1].upper() + self[1:].lower()"),
        ("withExclamation|exclaimed|withBang", "answer the string followed by '!'", "return self + '!'"),
        ("quoted|inQuotes|doubleQuoted", "answer the string between double quotes", "return '\"' + self + '\"'"),
        ("inBrackets|bracketed|wrappedInBrackets", "answer the string between square brackets", "return '[' + self + ']'"),
        ("asAcronym|acronym|upperInitials", "answer the first letters of the words, in upper case",
         "return ''.join(w[0].upper() for w in self.split())"),
    ])
    return _text_task("strings transformed", sel, intent, body, rng)


def strings_questions(rng):
    letter = rng.choice("aeiost")
    sel, intent, body = rng.choice([
        ("characterCount|numberOfCharacters|textLength", "answer how many characters the string has", "return len(self)"),
        ("isEmptyText|hasNoCharacters|isBlankText", "answer whether the string has no characters", "return len(self) == 0"),
        ("isAllUpper|isShouting|isUpperCase", "answer whether the string is all in upper case", "return self == self.upper()"),
        ("isAllLower|isLowerCase|isQuiet", "answer whether the string is all in lower case", "return self == self.lower()"),
        ("hasSpaces|containsSpace|hasBlank", "answer whether the string has a space in it", "return ' ' in self"),
        (f"startsWith{letter.upper()}", f"answer whether the string starts with '{letter}'",
         f"return self.startswith('{letter}')"),
        (f"endsWith{letter.upper()}", f"answer whether the string ends with '{letter}'",
         f"return self.endswith('{letter}')"),
        ("consonantCount|numberOfConsonants|consonants", "answer how many letters of the string are not vowels",
         "return len([c for c in self if c.isalpha() and c not in 'aeiouAEIOU'])"),
        ("spaceCount|numberOfSpaces|blanks", "answer how many spaces the string has", "return self.count(' ')"),
        ("wordTotal|numberOfWords|countWords", "answer how many words the string has", "return len(self.split(' '))"),
        ("hasRepeatedLetter|hasRepeats|repeatsACharacter", "answer whether some character occurs more than once",
         "return len(set(self)) < len(self)"),
        ("distinctLetterCount|uniqueCharacterCount|differentLetters", "answer how many different characters the string has", "return len(set(self))"),
        ("isLongWord|isLong|isLengthy", "answer whether the string has more than six characters", "return len(self) > 6"),
        ("firstVowel|leadingVowel|vowelFirstSeen", "answer the first vowel of the string, or an empty string",
         "for c in self:\n    if c in 'aeiou':\n        return c\nreturn ''"),
        ("indexOfFirstSpace|firstSpaceIndex|whereIsSpace", "answer the index of the first space, or -1", "return self.find(' ')"),
    ])
    return _text_task("string questions", sel, intent, body, rng)


def strings_with_arguments(rng):
    sel, intent, body, args = rng.choice([
        ("contains:|includesText:|hasText:", "answer whether the given text occurs in the string", "return A in self",
         lambda: (rng.choice(["a", "lo", "an", "x", "is", "e"]),)),
        ("indexOf:|positionOf:|findText:", "answer where the given text first occurs in the string, or -1", "return self.find(A)",
         lambda: (rng.choice(["a", "lo", "an", "x", "e"]),)),
        ("replace:With:|swapText:For:|substitute:By:", "answer the string with every occurrence of the first text replaced by the second",
         "return self.replace(A, B)", lambda: (rng.choice(["a", "o", "l", " "]), rng.choice(["*", "-", "0"]))),
        ("isLongerThan:|hasMoreCharactersThan:|exceedsLength:", "answer whether the string has more than n characters", "return len(self) > A",
         lambda: (rng.randint(2, 8),)),
        ("hasLength:|isOfLength:|lengthIs:", "answer whether the string has exactly n characters", "return len(self) == A",
         lambda: (rng.randint(2, 8),)),
        ("characterAt:|letterAt:|charAt:", "answer the character at index n (0 is the first)", "return self[A]",
         lambda: (rng.randint(0, 2),)),
        ("firstCharacters:|prefixOfLength:|leading:", "answer the first n characters of the string", "return self[:A]",
         lambda: (rng.randint(1, 4),)),
        ("paddedTo:|padRightTo:|widenedTo:", "answer the string with spaces added at its end up to n characters",
         "return self + ' ' * (A - len(self))", lambda: (rng.randint(6, 12),)),
        ("joinedTo:|followedBy:|withWord:", "answer the string, a space and the given text", "return self + ' ' + A",
         lambda: (rng.choice(["there", "world", "again", "x"]),)),
        ("prefixedWith:|afterPrefix:|withPrefix:", "answer the given text followed by the string", "return A + self",
         lambda: (rng.choice(["re", "un", ">", "my "]),)),
        ("wordsLongerThan:|longWordsOver:|wordsOfLengthOver:", "answer a list of the words with more than n characters",
         "return [w for w in self.split() if len(w) > A]", lambda: (rng.randint(1, 4),)),
        ("countOfWordsStartingWith:|wordsBeginningWith:|numberOfWordsWith:", "answer how many words start with the given letter",
         "return len([w for w in self.split() if w.startswith(A)])", lambda: (rng.choice("abgtl"),)),
        ("repeat:Separator:|repeated:JoinedBy:|copies:With:", "answer the string repeated n times with the separator between",
         "return B.join([self] * A)", lambda: (rng.randint(1, 4), rng.choice(["-", ", ", "|"]))),
        ("truncatedTo:|shortenedTo:|clippedTo:", "answer the first n characters followed by '...' when the string is longer",
         "if len(self) <= A:\n    return self\nreturn self[:A] + '...'", lambda: (rng.randint(2, 6),)),
    ])
    return _text_task("strings with arguments", sel, intent, body, rng, args=args)


CONDITIONS = [  # (selector word, intent words, Python condition on x)
    ("Positives", "greater than zero", "x > 0"), ("Negatives", "below zero", "x < 0"),
    ("Evens", "even", "x % 2 == 0"), ("Odds", "odd", "x % 2 != 0"),
    ("NonZero", "not zero", "x != 0"), ("Small", "below ten", "x < 10"),
    ("Big", "greater than ten", "x > 10"),
]


def lists_filtered(rng):
    word, words, cond = rng.choice(CONDITIONS)
    sel, intent, body = rng.choice([
        (f"sumOf{word}In:", f"answer the sum of the numbers in the list that are {words}",
         f"return sum(x for x in A if {cond})"),
        (f"count{word}In:", f"answer how many numbers in the list are {words}",
         f"return len([x for x in A if {cond}])"),
        (f"only{word}In:", f"answer a list of the numbers in the list that are {words}, in order",
         f"return [x for x in A if {cond}]"),
        (f"without{word}In:", f"answer a list of the numbers in the list that are not {words}",
         f"return [x for x in A if not ({cond})]"),
        (f"all{word}:", f"answer whether every number in the list is {words}", f"return all({cond} for x in A)"),
        (f"any{word}:", f"answer whether some number in the list is {words}", f"return any({cond} for x in A)"),
        (f"first{word[:-1] if word.endswith('s') else word}In:",
         f"answer the first number in the list that is {words}, or nil",
         f"for x in A:\n    if {cond}:\n        return x\nreturn None"),
        (f"doubled{word}In:", f"answer a list of the numbers that are {words}, each doubled",
         f"return [x * 2 for x in A if {cond}]"),
    ])
    name = rng.choice(HELPERS)
    lists = [(_list(rng, -9, 20),) for _ in range(5)]
    return Practice("lists filtered", "list", sel, intent, body, lists[0], None, name,
                    variants=tuple(lists[1:]))


def lists_mapped_and_reduced(rng):
    c = rng.choice([2, 3, 5, 10])
    sel, intent, body, extra = rng.choice([
        (f"plus{_w(c)}All:", f"answer a list with {c} added to every number", f"return [x + {c} for x in A]", None),
        (f"times{_w(c)}All:", f"answer a list with every number multiplied by {c}", f"return [x * {c} for x in A]", None),
        ("negatedAll:", "answer a list with the sign of every number changed", "return [-x for x in A]", None),
        ("absoluteAll:", "answer a list of the numbers without their signs", "return [abs(x) for x in A]", None),
        ("halvedAll:", "answer a list with every number divided by 2", "return [x / 2 for x in A]", None),
        ("sumOfSquaresIn:|squaresTotal:|totalOfSquares:", "answer the sum of the squares of the numbers", "return sum(x * x for x in A)", None),
        ("spreadOf:|rangeOfValues:|maxMinusMin:", "answer the largest number minus the smallest", "return max(A) - min(A)", None),
        ("sumOfFirstAndLast:|endsTotal:|firstPlusLast:", "answer the first number plus the last", "return A[0] + A[-1]", None),
        ("firstTwoOf:|leadingPair:|headTwo:", "answer a list of the first two elements", "return list(A)[:2]", None),
        ("lastTwoOf:|trailingPair:|tailTwo:", "answer a list of the last two elements", "return list(A)[-2:]", None),
        ("everyOtherOf:|alternateItems:|evenPositionsOf:", "answer a list of every second element, from the first", "return list(A)[::2]", None),
        ("reversedCopyOf:|backwardsCopy:|inReverseOrder:", "answer a new list with the elements in reverse order", "return list(A)[::-1]", None),
        ("sizeOf:|lengthOf:|howMany:", "answer how many elements the list has", "return len(A)", None),
        ("isSortedUp:|isAscending:|inIncreasingOrder:", "answer whether the numbers are in increasing order", "return list(A) == sorted(A)", None),
        ("hasDuplicatesIn:|repeatsIn:|hasRepeatedNumber:", "answer whether some number occurs twice", "return len(set(A)) < len(A)", None),
        ("distinctIn:|uniqueOf:|withoutRepeats:", "answer a list of the numbers without repeats, in first-seen order",
         "out = []\nfor x in A:\n    if x not in out:\n        out.append(x)\nreturn out", None),
        ("cumulativeProductOf:|runningProducts:|productsSoFar:", "answer a list of the running products",
         "out = []\nproduct = 1\nfor x in A:\n    product = product * x\n    out.append(product)\nreturn out", None),
        ("indexOfSmallestIn:|positionOfMinimum:|whereIsSmallest:", "answer the index of the smallest number",
         "return list(A).index(min(A))", None),
        ("occurrencesOf:In:|timesOf:In:|frequencyOf:In:", "answer how many times n occurs in the list", "return list(B).count(A)", "n"),
        ("indexOf:In:|positionOf:In:|whereIs:In:", "answer the index of n in the list, or -1",
         "if A in B:\n    return list(B).index(A)\nreturn -1", "n"),
        ("without:In:|removing:From:|allBut:In:", "answer a list of the elements that are not n", "return [x for x in B if x != A]", "n"),
        ("countAbove:In:|numberOver:In:|howManyAbove:In:", "answer how many numbers in the list are greater than n",
         "return len([x for x in B if x > A])", "n"),
        ("timesEach:In:|scale:Each:|multiplyBy:All:", "answer a list with every number multiplied by n", "return [x * A for x in B]", "n"),
        ("pairSums:With:|addPairwise:And:|sumsOf:With:", "answer a list of the sums of the elements at the same place in the two lists",
         "return [x + y for x, y in zip(A, B)]", "list"),
        ("concatenated:With:|join:With:|append:To:", "answer one list with the elements of the first, then of the second",
         "return list(A) + list(B)", "list"),
        ("commonTo:And:|shared:And:|intersect:With:", "answer a list of the elements of the first list that are in the second",
         "return [x for x in A if x in B]", "list"),
    ])
    name = rng.choice(HELPERS)
    sets = []
    for _ in range(5):
        items = _list(rng, -5, 12)
        if extra == "n":
            sets.append((rng.choice(items + [rng.randint(-3, 9)]), items))
        elif extra == "list":
            sets.append((items, _list(rng, -5, 12, len(items))))
        else:
            sets.append((items,))
    return Practice("lists mapped and reduced", "list", sel, intent, body, sets[0], None, name,
                    variants=tuple(sets[1:]))


def lists_as_receivers(rng):
    sel, intent, body = rng.choice([
        ("sumOfEvenElements|evenTotal|totalOfEvens", "answer the sum of the even numbers of the list", "return sum(x for x in self if x % 2 == 0)"),
        ("firstTwo|headPair|leadingTwo", "answer a list of the first two elements", "return list(self)[:2]"),
        ("lastTwo|tailPair|trailingTwo", "answer a list of the last two elements", "return list(self)[-2:]"),
        ("middleElement|centre|middleItem", "answer the element in the middle of the list", "return self[len(self) // 2]"),
        ("secondToLast|penultimate|beforeLast", "answer the element before the last", "return self[-2]"),
        ("largestMinusSmallest|spread|valueRange", "answer the largest number minus the smallest", "return max(self) - min(self)"),
        ("countOfPositives|positiveCount|numberAboveZero", "answer how many numbers are greater than zero", "return len([x for x in self if x > 0])"),
        ("allDistinct|hasNoRepeats|isUnique", "answer whether no number occurs twice", "return len(set(self)) == len(self)"),
        ("rotatedLeft|rotated|firstToEnd", "answer a new list with the first element moved to the end", "return list(self)[1:] + list(self)[:1]"),
        ("doubledCopy|doubledItems|timesTwoEach", "answer a new list with every number doubled", "return [x * 2 for x in self]"),
        ("incrementedCopy|plusOneEach|bumpedItems", "answer a new list with one added to every number", "return [x + 1 for x in self]"),
        ("sumOfSquares|squaresSum|totalOfSquares", "answer the sum of the squares of the numbers", "return sum(x * x for x in self)"),
        ("meanValue|averageValue|typical", "answer the mean of the numbers", "return sum(self) / len(self)"),
        ("positionsOfZeros|zeroIndexes|whereZero", "answer a list of the indexes where the list holds 0",
         "return [i for i, x in enumerate(self) if x == 0]"),
    ])
    lists = [_list(rng, -3, 9, rng.randint(3, 6)) for _ in range(5)]
    return Practice("lists as receivers", "list", sel, intent, body, (), lists[0],
                    variants=tuple((l, ()) for l in lists[1:]))


KEYS = ["a", "b", "c", "x", "y", "pens", "ink", "tea", "milk", "ada", "bo", "cy", "red", "blue"]


def _table(rng, lo=-3, hi=20, size=None):
    keys = rng.sample(KEYS, size or rng.randint(1, 4))
    return {k: rng.randint(lo, hi) for k in keys}


def dictionaries(rng):
    name = rng.choice(HELPERS)
    c = rng.choice([2, 3, 5, 10])
    sel, intent, body, extra = rng.choice([
        ("valuesOf:|valueList:|allValuesOf:", "answer a list of the dictionary's values, in order", "return list(A.values())", None),
        ("keysInOrderOf:|keyListOf:|namesIn:", "answer a list of the dictionary's keys, in order", "return list(A)", None),
        ("largestKeyIn:|lastKeyAlphabetically:|maxKeyOf:", "answer the key that comes last in alphabetical order", "return max(A.keys())", None),
        ("smallestValueIn:|minimumValueOf:|lowestValueIn:", "answer the smallest value of the dictionary", "return min(A.values())", None),
        ("keysSortedByValue:|keysByValue:|rankKeys:", "answer a list of the keys, from the smallest value to the largest",
         "return sorted(A, key=A.get)", None),
        (f"keysWithValuesOver{_w(c)}:", f"answer a list of the keys whose value is more than {c}",
         f"return [k for k in A if A[k] > {c}]", None),
        ("negatedValues:|flipSigns:|negativeOfValues:", "answer a new dictionary with the same keys and every value's sign changed",
         "return {k: -v for k, v in A.items()}", None),
        (f"plus{_w(c)}Values:", f"answer a new dictionary with {c} added to every value",
         f"out = {{}}\nfor k in A:\n    out[k] = A[k] + {c}\nreturn out", None),
        ("keysJoined:|keysAsCommaText:|commaKeys:", "answer the keys joined by commas", "return ','.join(A.keys())", None),
        ("entriesAsText:|describeEntries:|asKeyValueText:", "answer 'key=value' for each entry, joined by spaces",
         "return ' '.join(k + '=' + str(v) for k, v in A.items())", None),
        ("positiveEntriesOf:|keepPositive:|entriesAboveZero:", "answer a new dictionary of the entries whose value is above zero",
         "return {k: v for k, v in A.items() if v > 0}", None),
        ("sumOfKeyLengths:|keyCharacters:|totalKeyLength:", "answer the total number of characters of the keys", "return sum(len(k) for k in A)", None),
        ("averageValueOf:|meanValueOf:|typicalValue:", "answer the mean of the dictionary's values", "return sum(A.values()) / len(A)", None),
        ("countOfValue:In:|entriesWith:In:|howOften:In:", "answer how many entries have the value n",
         "return len([k for k in B if B[k] == A])", "n"),
        ("with:Set:In:|copyWith:Value:In:|adding:As:To:", "answer a copy of the dictionary where the key holds the value",
         "out = dict(C)\nout[A] = B\nreturn out", "kv"),
        ("without:In:|removing:From:|allBut:In:", "answer a copy of the dictionary without the key",
         "return {k: v for k, v in B.items() if k != A}", "k"),
        ("valueOrZeroOf:In:|amountOf:In:|countFor:In:", "answer the value for the key, or 0 when it is absent",
         "if A in B:\n    return B[A]\nreturn 0", "k"),
        ("countsOfItems:|tally:|frequencies:", "answer a dictionary from each element of the list to how many times it occurs",
         "counts = {}\nfor x in A:\n    counts[x] = counts.get(x, 0) + 1\nreturn counts", "list"),
        ("lengthsOf:|sizesOf:|wordSizes:", "answer a dictionary from each string of the list to its length",
         "return {w: len(w) for w in A}", "words"),
        ("pairUp:With:|zip:With:|tableFrom:And:", "answer a dictionary from each element of the first list to the element at the same place in the second",
         "return dict(zip(A, B))", "two lists"),
    ])
    sets = []
    for _ in range(5):
        table = _table(rng)
        if extra == "n":
            sets.append((rng.choice(list(table.values())), table))
        elif extra == "kv":
            sets.append((rng.choice(KEYS), rng.randint(0, 9), table))
        elif extra == "k":
            sets.append((rng.choice(list(table) + [rng.choice(KEYS)]), table))
        elif extra == "list":
            sets.append(([rng.choice("abc") for _ in range(rng.randint(2, 6))],))
        elif extra == "words":
            sets.append((rng.sample(KEYS, rng.randint(1, 4)),))
        elif extra == "two lists":
            ks = rng.sample(KEYS, rng.randint(1, 4))
            sets.append((ks, [rng.randint(0, 9) for _ in ks]))
        else:
            sets.append((table,))
    return Practice("dictionaries", "dictionary", sel, intent, body, sets[0], None, name,
                    variants=tuple(sets[1:]))


STATE_OBJECTS = [  # (object name, number slot, its unit of change)
    ("tank", "water"), ("robot", "energy"), ("meter", "reading"), ("wallet", "cash"),
    ("battery", "charge"), ("jar", "cookies"), ("garden", "flowers"), ("score", "points"),
    ("heater", "power"), ("lift", "floor"), ("boat", "fuel"), ("pump", "pressure"),
    ("car", "miles"), ("oven", "heat"), ("bucket", "sand"), ("budget", "money"),
]
VERBS_UP = ("increase", "grow", "raise", "add", "fill", "boost", "charge")
VERBS_DOWN = ("decrease", "shrink", "lower", "drain", "use", "reduce", "spend")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def state_numbers(rng):
    name, slot = rng.choice(STATE_OBJECTS)
    start = rng.randint(5, 60)
    c = rng.choice([2, 3, 5, 10])
    up, down = rng.choice(VERBS_UP), rng.choice(VERBS_DOWN)
    S = _cap(slot)
    sel, intent, body, arity = rng.choice([
        (f"{up}{S}By:", f"add n to the {slot} slot", f"self.{slot} = self.{slot} + A", 1),
        (f"{down}{S}By:", f"subtract n from the {slot} slot", f"self.{slot} = self.{slot} - A", 1),
        (f"{up}By:", f"add n to the {slot} slot and answer the new {slot}",
         f"self.{slot} += A\nreturn self.{slot}", 1),
        (f"{down}By:", f"take n off the {slot} slot and answer what is left",
         f"self.{slot} -= A\nreturn self.{slot}", 1),
        (f"{down}AtMost:", f"take n off the {slot} slot, but never below zero",
         f"self.{slot} = max(0, self.{slot} - A)", 1),
        (f"set{S}To:", f"set the {slot} slot to n", f"self.{slot} = A", 1),
        (f"double{S}", f"double the {slot} slot", f"self.{slot} = self.{slot} * 2", 0),
        (f"halve{S}", f"halve the {slot} slot (rounding down)", f"self.{slot} = self.{slot} // 2", 0),
        (f"add{_w(c)}{S}", f"add {c} to the {slot} slot", f"self.{slot} = self.{slot} + {c}", 0),
        (f"empty{S}", f"set the {slot} slot to zero and answer what it held",
         f"old = self.{slot}\nself.{slot} = 0\nreturn old", 0),
        (f"{slot}IsAbove:", f"answer whether the {slot} slot is more than n", f"return self.{slot} > A", 1),
        (f"{slot}Plus:", f"answer the {slot} slot plus n (without changing it)", f"return self.{slot} + A", 1),
        (f"{up}{S}Times:", f"add one to the {slot} slot n times",
         f"for i in range(A):\n    self.{slot} = self.{slot} + 1", 1),
        (f"{slot}Percent:", f"answer n percent of the {slot} slot", f"return self.{slot} * A / 100", 1),
    ])
    argsets = [tuple(rng.randint(1, 12) for _ in range(arity)) for _ in range(5)]
    return Practice("state numbers", "state", sel, intent, body, argsets[0], None, name,
                    slots=((slot, start),), variants=tuple(argsets[1:]), observe=slot)


LIST_OBJECTS = [("shelf", "books"), ("playlist", "songs"), ("bag", "things"), ("team", "players"),
                ("basket", "fruits"), ("log", "lines"), ("inbox", "mails"), ("pile", "cards")]


def state_lists(rng):
    name, slot = rng.choice(LIST_OBJECTS)
    thing = slot[:-1]
    T = _cap(thing)
    start = [rng.choice(["ada", "bo", "cy", "dee", "eve", "fin"]) for _ in range(rng.randint(1, 3))]
    sel, intent, body, arg = rng.choice([
        (f"add{T}:", f"append the {thing} to the {slot} list", f"self.{slot}.append(A)\nself._p_changed = True", "text"),
        (f"add{T}First:", f"put the {thing} at the front of the {slot} list",
         f"self.{slot}.insert(0, A)\nself._p_changed = True", "text"),
        (f"remove{T}:", f"remove the {thing} from the {slot} list if it is there",
         f"if A in self.{slot}:\n    self.{slot}.remove(A)\nself._p_changed = True", "text"),
        (f"has{T}:", f"answer whether the {slot} list holds the {thing}", f"return A in self.{slot}", "text"),
        (f"{thing}Count", f"answer how many {slot} there are", f"return len(self.{slot})", None),
        (f"first{T}", f"answer the first element of the {slot} list", f"return self.{slot}[0]", None),
        (f"take{T}", f"remove the first element of the {slot} list and answer it",
         f"item = self.{slot}.pop(0)\nself._p_changed = True\nreturn item", None),
        (f"sort{_cap(slot)}", f"sort the {slot} list in place",
         f"self.{slot}.sort()\nself._p_changed = True", None),
        (f"clear{_cap(slot)}", f"remove every element of the {slot} list",
         f"self.{slot}.clear()\nself._p_changed = True", None),
        (f"addAll{_cap(slot)}:", f"append each element of the list to the {slot} list",
         f"for x in A:\n    self.{slot}.append(x)\nself._p_changed = True", "list"),
        (f"{slot}Joined", f"answer the {slot} joined by commas", f"return ', '.join(self.{slot})", None),
    ])

    def one():
        if arg == "text":
            return (rng.choice(["ada", "bo", "zed", "kim", "lee"]),)
        if arg == "list":
            return ([rng.choice(["x", "y", "w"]) for _ in range(rng.randint(1, 3))],)
        return ()
    argsets = [one() for _ in range(5)]
    return Practice("state lists", "state", sel, intent, body, argsets[0], None, name,
                    slots=((slot, start),), variants=tuple(argsets[1:]), observe=slot)


def state_shapes(rng):
    """Objects with two or more slots that change together."""
    sel, intent, body, slots, arity, observe = rng.choice([
        ("moveRight:", "add n to the x slot", "self.x = self.x + A", (("x", 2), ("y", 5)), 1, "x"),
        ("moveUp:", "add n to the y slot", "self.y = self.y + A", (("x", 2), ("y", 5)), 1, "y"),
        ("moveTo:And:", "set the x slot to the first number and the y slot to the second",
         "self.x = A\nself.y = B", (("x", 1), ("y", 1)), 2, "x"),
        ("swapXAndY", "exchange the x and y slots", "self.x, self.y = self.y, self.x", (("x", 3), ("y", 8)), 0, "y"),
        ("transfer:", "move n from the savings slot to the checking slot",
         "self.savings = self.savings - A\nself.checking = self.checking + A",
         (("savings", 50), ("checking", 10)), 1, "checking"),
        ("resizeBy:", "add n to both the width and the height slots",
         "self.width = self.width + A\nself.height = self.height + A", (("width", 2), ("height", 4)), 1, "height"),
        ("resetBoth", "set the hits and the misses slots to zero", "self.hits = 0\nself.misses = 0",
         (("hits", 4), ("misses", 2)), 0, "hits"),
        ("recordHit", "add one to the hits slot and one to the total slot",
         "self.hits = self.hits + 1\nself.total = self.total + 1", (("hits", 1), ("total|sumOfAll|grandTotal", 5)), 0, "total"),
        ("isWinning", "answer whether the wins slot is greater than the losses slot",
         "return self.wins > self.losses", (("wins", 3), ("losses", 5)), 0, ""),
        ("ratio", "answer the done slot divided by the total slot", "return self.done / self.total",
         (("done", 3), ("total|sumOfAll|grandTotal", 4)), 0, ""),
        ("toggleLight", "flip the lit slot between true and false", "self.lit = not self.lit",
         (("lit", False),), 0, "lit"),
        ("open", "set the isOpen slot to true", "self.isOpen = True", (("isOpen", False),), 0, "isOpen"),
        ("closeAll", "set both the door and the window slot to false", "self.door = False\nself.window = False",
         (("door", True), ("window", True)), 0, "door"),
        ("rename:", "set the title slot to the text", "self.title = A", (("title", "draft"),), 1, "title"),
        ("appendToTitle:", "add the text at the end of the title slot", "self.title = self.title + A",
         (("title", "draft"),), 1, "title"),
        ("describe", "answer the name slot followed by ' is ' and the age slot",
         "return self.name + ' is ' + str(self.age)", (("name", "ada"), ("age", 36)), 0, ""),
    ])
    name = rng.choice(["point", "sprite", "purse", "panel", "stats", "game", "house", "doc", "card",
                       "record", "widget", "cursor", "frame", "ledger", "tally"])

    def one():
        if "Title" in sel or sel == "rename:":
            return (rng.choice(["v2", "!", " final", "notes"]),)
        return tuple(rng.randint(1, 9) for _ in range(arity))
    argsets = [one() for _ in range(5)]
    return Practice("state shapes", "state", sel, intent, body, argsets[0], None,
                    name, slots=slots, variants=tuple(argsets[1:]), observe=observe)


def state_dictionaries(rng):
    name, slot = rng.choice([("inventory", "stock"), ("scores", "table"), ("prefs", "settings"),
                             ("votes", "counts"), ("index", "entries")])
    sel, intent, body, arg = rng.choice([
        ("set:To:|store:Value:|remember:As:", f"store the value for the key in the {slot} dictionary",
         f"self.{slot}[A] = B\nself._p_changed = True", "kv"),
        ("forget:|drop:|erase:", f"remove the key from the {slot} dictionary if it is there",
         f"if A in self.{slot}:\n    self.{slot}.pop(A)\nself._p_changed = True", "k"),
        ("countOne:|tallyOne:|vote:", f"add one to the {slot} dictionary's entry for the key (absent counts as 0)",
         f"self.{slot}[A] = self.{slot}.get(A, 0) + 1\nself._p_changed = True", "k"),
        ("knows:|hasEntry:|isKnown:", f"answer whether the {slot} dictionary has the key", f"return A in self.{slot}", "k"),
        ("entryCount|numberOfEntries|howManyKeys", f"answer how many entries the {slot} dictionary has", f"return len(self.{slot})", None),
        ("total|sumOfAll|grandTotal", f"answer the sum of the {slot} dictionary's values", f"return sum(self.{slot}.values())", None),
        ("keyList|allKeys|knownKeys", f"answer a list of the {slot} dictionary's keys", f"return list(self.{slot})", None),
        ("clearAll|forgetAll|wipe", f"remove every entry of the {slot} dictionary", f"self.{slot}.clear()\nself._p_changed = True", None),
    ])

    def one():
        if arg == "kv":
            return (rng.choice(KEYS), rng.randint(0, 9))
        if arg == "k":
            return (rng.choice(KEYS[:6]),)
        return ()
    argsets = [one() for _ in range(5)]
    start = _table(rng, 0, 9, rng.randint(1, 3))
    start = {k: v for k, v in start.items() if k in KEYS[:6]} or {"a": 1}
    return Practice("state dictionaries", "dictionary", sel, intent, body, argsets[0], None, name,
                    slots=((slot, start),), variants=tuple(argsets[1:]), observe=slot)


SENDERS = [  # (object name, slots, UVM methods, unary messages it understands, a keyword one or None)
    ("rectangle", (("w", 3), ("h", 5)), "area = (w * h). perimeter = ((w + h) * 2)",
     ("area", "perimeter"), None),
    ("cube", (("edge", 2),), "volume = ((edge * edge) * edge). face = (edge * edge)", ("volume", "face"), None),
    ("order", (("count", 2), ("price", 7)), "subtotal = (count * price). tax = (subtotal / 10)",
     ("subtotal", "tax"), None),
    ("runner", (("km", 10), ("minutes", 50)), "pace = (minutes / km). speed = (km * 60 / minutes)",
     ("pace",), None),
    ("team", (("wins", 6), ("games", 10)), "losses = (games - wins). points = (wins * 3)",
     ("losses", "points"), None),
    ("tank", (("level", 4),), "isLow = (level < 3)", ("isLow",), ("fill:", "level: level + {0}")),
    ("purse", (("coins", 5),), "isEmpty = (coins = 0)", (), ("pay:", "coins: coins - {0}")),
    ("score", (("points", 0),), "doubled = (points * 2)", ("doubled",), ("gain:", "points: points + {0}")),
    ("user", (("first", "ada"), ("last", "byron")), "fullName = (first, ' ', last). initials = ((first at: 0), (last at: 0))",
     ("fullName", "initials"), None),
    ("stock", (("items", [3, 4, 5]),), "total = (items sum). biggest = (items max)", ("total|sumOfAll|grandTotal", "biggest"),
     ("put:", "items add: {0}")),
]


def self_sends(rng):
    name, slots, methods, unaries, keyword = rng.choice(SENDERS)
    c = rng.choice([2, 3, 10])
    options = []
    for u in unaries:
        U = _cap(u)
        options += [
            (f"{u}Times{_w(c)}", f"answer {c} times the {u} (send {u} to self)", f"return self.{u} * {c}", 0),
            (f"{u}Plus:", f"answer the {u} (send {u} to self) plus n", f"return self.{u} + A", 1),
            (f"is{U}Over:", f"answer whether the {u} (send {u} to self) is greater than n", f"return self.{u} > A", 1),
            (f"{u}AsText", f"answer the {u} (send {u} to self) as a string", f"return str(self.{u})", 0),
            (f"half{U}", f"answer half the {u} (send {u} to self)", f"return self.{u} / 2", 0),
        ]
    if len(unaries) > 1:
        a, b = unaries[:2]
        options.append((f"{a}Plus{_cap(b)}", f"answer the {a} plus the {b} (send both to self)",
                        f"return self.{a} + self.{b}", 0))
        options.append((f"{a}And{_cap(b)}", f"answer a list of the {a} and the {b} (send both to self)",
                        f"return [self.{a}, self.{b}]", 0))
    if keyword is not None:
        kw, _ = keyword
        py = kw.replace(":", "_")
        K = _cap(kw[:-1])
        options += [
            (f"{kw[:-1]}Twice:", f"send {kw} with n to self two times", f"self.{py}(A)\nself.{py}(A)", 1),
            (f"{kw[:-1]}{_w(c)}", f"send {kw} with {c} to self", f"self.{py}({c})", 0),
            (f"{kw[:-1]}Each:", f"send {kw} to self with each element of the list", f"for x in A:\n    self.{py}(x)", "list"),
            (f"{kw[:-1]}Times:Amount:", f"send {kw} with the amount to self, the given number of times",
             f"for i in range(A):\n    self.{py}(B)", 2),
            (f"safe{K}:", f"send {kw} with n to self only when n is positive", f"if A > 0:\n    self.{py}(A)", 1),
        ]
    sel, intent, body, arity = rng.choice(options)
    kw_method = f". {keyword[0]} n = ({keyword[1].format('n')})" if keyword else ""
    all_methods = methods + kw_method

    def one():
        if arity == "list":
            return ([rng.randint(1, 5) for _ in range(rng.randint(1, 3))],)
        return tuple(rng.randint(1, 9) for _ in range(arity))
    argsets = [one() for _ in range(5)]
    observe = next((n for n, v in slots), "") if keyword and keyword[0].replace(":", "_") in body else ""
    return Practice("self-sends", "self-send", sel, intent, body, argsets[0], None, name,
                    slots=slots, methods=all_methods, variants=tuple(argsets[1:]), observe=observe)


FAMILIES = (integers_composed, integers_tests, integers_loops, helper_numbers, strings_transformed,
            strings_questions, strings_with_arguments, lists_filtered, lists_mapped_and_reduced,
            lists_as_receivers, dictionaries, state_numbers, state_lists, state_shapes,
            state_dictionaries, self_sends)
WEIGHTS = (2, 1, 2, 3, 3, 1, 2, 2, 3, 1, 3, 2, 2, 2, 1, 3)


# --- generating ------------------------------------------------------------------------------------

@dataclass
class Generated:
    tasks: list[Practice] = field(default_factory=list)
    dropped: dict = field(default_factory=dict)   # why -> how many


KIND_SHARES = {"arithmetic": 0.2, "string": 0.17, "list": 0.17, "dictionary": 0.15,
               "state": 0.16, "self-send": 0.15}
SAME_SELECTOR = 3   # at most this many tasks share a selector (other receivers, arguments)
SAME_BODY = 10      # ... or a normalised body


def _perturbed(task: Practice, rng) -> Practice:
    """An object's task with other slot values before each variant's send, so that its
    examples and checks are not all the same send."""
    from uvm.llm.synthesis.receiver import source_of
    if task.receiver is not None or not task.slots:
        return task
    prefixes = []
    for _ in task.variants:
        name, value = rng.choice(task.slots)
        if isinstance(value, bool) or isinstance(value, dict):
            prefixes.append("")
            continue
        if isinstance(value, int):
            new = max(1, value + rng.randint(-4, 6))
        elif isinstance(value, str):
            new = rng.choice(["kim", "lee", "max", "zoe", "ray"])
        else:
            new = [rng.randint(1, 9) if isinstance(v, int) else rng.choice(["kim", "lee", "zoe"])
                   for v in value] or value
        prefixes.append(f"{task.name} {name}: {source_of(new)}. ")
    from dataclasses import replace
    return replace(task, prefixes=tuple(prefixes))


def generate(n: int, seed: int = 0, avoid=None, avoid_selectors=(), tries: int = 30) -> Generated:
    """Up to ``n`` tasks in the kinds' shares, none copying ``avoid`` (a
    ``NearCopyIndex``) or using a selector in ``avoid_selectors``."""
    from uvm.llm.synthesis.nearcopy import normalised_tokens
    rng = random.Random(seed)
    out = Generated()
    per_selector: dict = {}
    per_body: dict = {}
    per_kind: dict = {}
    seen: set = set()
    avoid_selectors = set(avoid_selectors)
    quota = {k: max(1, round(n * share)) for k, share in KIND_SHARES.items()}

    def drop(why):
        out.dropped[why] = out.dropped.get(why, 0) + 1
    for _ in range(n * tries):
        if len(out.tasks) >= n or all(per_kind.get(k, 0) >= q for k, q in quota.items()):
            break
        task = rng.choices(FAMILIES, WEIGHTS)[0](rng)
        if "|" in task.selector:  # one of the names people give this method
            from dataclasses import replace
            task = replace(task, selector=rng.choice(task.selector.split("|")))
        if per_kind.get(task.kind, 0) >= quota[task.kind]:
            continue
        key = (task.selector, repr(task.receiver), repr(task.args), repr(task.slots))
        if key in seen or per_selector.get(task.selector, 0) >= SAME_SELECTOR:
            continue
        seen.add(key)
        if task.selector in avoid_selectors:
            drop("a benchmark's selector")
            continue
        reference = task.reference()
        if avoid is not None and avoid.find("", reference) is not None:
            drop("a near-copy of a benchmark's answer")
            continue
        tokens = normalised_tokens(reference)
        if tokens is None:
            drop("a reference that does not parse")
            continue
        if per_body.get(tokens, 0) >= SAME_BODY:
            continue
        per_body[tokens] = per_body.get(tokens, 0) + 1
        per_selector[task.selector] = per_selector.get(task.selector, 0) + 1
        per_kind[task.kind] = per_kind.get(task.kind, 0) + 1
        out.tasks.append(_perturbed(task, rng))
    return out


# --- in a live image -------------------------------------------------------------------------------

class _RollBack(Exception):
    pass


def in_rolled_back_transaction(image, action):
    """``action()``'s result, from a transaction of ``image`` that is then rolled back (the
    image stays as it was for the next task)."""
    from uvm.runtime.errors import UvmError
    box = []

    def run():
        box.append(action())
        raise _RollBack
    try:
        image.run(run, "practice", "training")
    except UvmError:
        if not box:
            raise
    return box[0]


def _eval(image, source: str):
    from uvm.runtime.compiler import compile_program
    from uvm.syntax import parse
    return compile_program(parse(source, "<practice>"))(image.lobby)


def _build(image, task: Practice):
    """The receiver (made in the current transaction) and the UVM values of the arguments."""
    from uvm.llm.synthesis.receiver import source_of
    if task.receiver is None:
        slots = ". ".join([f"{n} <- nil" for n, _ in task.slots] + ([task.methods] if task.methods else []))
        _eval(image, f"lobby _AddSlots: (| {task.name} = (| parent* = traits clonable. {slots} |) |)")
        for n, v in task.slots:
            _eval(image, f"{task.name} {n}: {source_of(v)}")
        receiver = _eval(image, task.name)
    else:
        receiver = _eval(image, source_of(task.receiver))
    return receiver, tuple(_eval(image, source_of(a)) for a in task.args)


def plain(value):
    """A UVM value as plain Python (lists, dictionaries, numbers, strings; objects by kind)."""
    from collections.abc import Mapping
    from uvm.runtime.objects import UvmObject
    if isinstance(value, Mapping):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "UvmList":
        return [plain(v) for v in value]
    if isinstance(value, UvmObject):
        return "<object>"
    return value


def _install(image, holder, task: Practice, source: str) -> None:
    from uvm.llm.synthesis.sandbox import compile_audited
    from uvm.runtime import send as send_mod
    from uvm.runtime.objects import Method
    fn = compile_audited(source, task.signature(), filename="<practice>")
    method = Method(task.selector, "python", source, task.params(), "<practice>", 1, 1, core=False)
    method._fn = fn
    holder.define_slot(task.selector, method, 0)
    send_mod.invalidate_all()


def _outcomes(image, task: Practice, seconds: float = 1.0) -> list:
    """What each send answers (and, for a method that changes self, the observed slot after
    it), each from the state before any send; an exception's name where one was raised."""
    from uvm.llm.synthesis.sandbox import limits
    from uvm.runtime import send as send_mod
    out = []
    for send in task.sends():
        sp = image.tm.savepoint()
        try:
            with limits(seconds):
                value = _eval(image, send)
                seen = _eval(image, f"{task.name} {task.observe}") if task.observe else None
            out.append((plain(value), plain(seen)))
        except BaseException as e:  # noqa: BLE001 -- a broken method's outcome is its error
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            out.append(("raised", type(e).__name__))
        finally:
            sp.rollback()
            send_mod.forget_objects()
            send_mod.invalidate_all()
    return out


def _same(a, b) -> bool:
    from uvm.llm.synthesis.answer import same_value
    return all(same_value(x, y) for x, y in zip(a, b)) if isinstance(a, tuple) else same_value(a, b)


@dataclass
class Rendered:
    """One training exchange: the pipeline's messages (the last is the start of the
    answer) and the reference's continuation."""
    task: Practice
    mode: str
    messages: list
    answer: str


def render(image, task: Practice, mode: str, shots: int) -> Rendered | None:
    """The prompt the pipeline would build for ``task`` in ``mode``, and the reference's
    answer; None when the task is not fit (its reference fails, answers nothing, or the
    selector is understood already or looks like a typo)."""
    from uvm.llm.synthesis.prompt import Brief
    from uvm.llm.synthesis.receiver import source_of, typo_of, understood_selectors
    from uvm.runtime.naming import ObjectNames
    from uvm.runtime.printing import string_literal

    def action():
        receiver, args = _build(image, task)
        known = understood_selectors(receiver)
        if task.selector in known or typo_of(task.selector, known) is not None:
            return None
        brief = Brief.for_send(receiver, task.selector, args, image, origin=(None, task.send_source()))
        holder_path = ObjectNames(image.lobby).name(brief.holder)
        sp = image.tm.savepoint()
        _install(image, brief.holder, task, task.reference())
        outcomes = _outcomes(image, task)
        sp.rollback()
        first_value, first_seen = outcomes[0]
        if any(o[0] == "raised" for o in outcomes) or (first_value is None and not task.observe):
            return None
        sel = string_literal(task.selector)
        if mode == "intent":
            _eval(image, f"{holder_path} intend: {sel} As: {string_literal(task.intent)}")
        elif mode == "examples":
            for send, (value, seen) in list(zip(task.sends(), outcomes))[1:3]:  # not the send itself
                shown = seen if task.observe else value
                if source_of(shown) is None:
                    return None
                _eval(image, f"{holder_path} intend: {sel} Example: "
                             f"{string_literal(task.shown(send))} Gives: {source_of(shown)}")
        messages = brief.messages([], shots=shots)
        start = brief.answer_start()
        reference = task.reference()
        if not reference.startswith(start):
            return None
        return Rendered(task, mode, messages, reference[len(start):])
    try:
        return in_rolled_back_transaction(image, action)
    except Exception:  # noqa: BLE001 -- a family that makes an unfit task loses only it
        return None


def judge(image, task: Practice, sources: list[str]) -> list[bool]:
    """For each candidate method: whether it gives what the reference gives on every send
    of the task (and changes the observed slot the same way)."""
    def action():
        receiver, _ = _build(image, task)
        from uvm.llm.synthesis.receiver import holder_for
        holder = holder_for(receiver, image.lobby)
        sp = image.tm.savepoint()
        _install(image, holder, task, task.reference())
        expected = _outcomes(image, task)
        sp.rollback()
        verdicts = []
        for source in sources:
            sp = image.tm.savepoint()
            try:
                _install(image, holder, task, source)
                got = _outcomes(image, task)
                verdicts.append(all(g[0] != "raised" and _same(g, e) for g, e in zip(got, expected)))
            except Exception:  # noqa: BLE001 -- the audit or the compiler refused it
                verdicts.append(False)
            finally:
                sp.rollback()
        return verdicts
    return in_rolled_back_transaction(image, action)
