"""The synthesis benchmark's task set: 44 method intents, from arithmetic to strings, lists
and methods that must update ``self``.

A task is what a user would do: make the receiver (``setup``), say what the method should
do (``intent``, stored with ``intend:As:`` on the object that will hold the method), and
send the message (``send``). The checker then sends it again with other arguments
(``checks``: UVM expression -> expected value), so a method that only fits the first
example fails.
"""
from __future__ import annotations

from dataclasses import dataclass

CALC = "lobby _AddSlots: (| calc = (| parent* = traits clonable |) |)."


@dataclass(frozen=True)
class Task:
    name: str
    kind: str             # arithmetic, string, list, state
    holder: str           # where the intent goes: the object or trait that gets the method
    selector: str
    intent: str
    send: str             # the first send: the model writes the method here
    checks: tuple         # ((UVM expression, expected Python value), ...)
    setup: str = CALC

    @property
    def examples(self) -> tuple:
        """What the user shows the pipeline (other inputs than the checks')."""
        return EXAMPLES.get(self.name, ())


def num(name, selector, intent, send, *checks):
    """A method on integers, written into ``traits integer``."""
    return Task(name, "arithmetic", "traits integer", selector, intent, send, checks, "")


def calc(name, selector, intent, send, *checks, kind="arithmetic"):
    """A method on a user-made object ``calc``."""
    return Task(name, kind, "calc", selector, intent, send, checks)


def text(name, selector, intent, send, *checks):
    """A method on strings, written into ``traits string``."""
    return Task(name, "string", "traits string", selector, intent, send, checks, "")


def lst(name, selector, intent, send, *checks):
    return calc(name, selector, intent, send, *checks, kind="list")


def state(name, setup, holder, selector, intent, send, *checks):
    return Task(name, "state", holder, selector, intent, send, checks, setup)


L = "(3 & 8 & -2 & 5) asList"   # a UVM list literal, reused by the list tasks
M = "(4 & 1 & 6) asList"

TASKS = [
    # --- arithmetic ---------------------------------------------------------------------------
    num("triple", "triple", "answer three times the receiver", "5 triple",
        ("5 triple", 15), ("0 triple", 0), ("-4 triple", -12)),
    calc("triple:", "triple:", "answer three times n", "calc triple: 3",
         ("calc triple: 3", 9), ("calc triple: 10", 30)),
    num("tenTimes", "tenTimes", "answer the receiver multiplied by ten", "7 tenTimes",
        ("7 tenTimes", 70), ("-3 tenTimes", -30)),
    num("cubed", "cubed", "answer the receiver to the third power", "4 cubed",
        ("4 cubed", 64), ("2 cubed", 8), ("-1 cubed", -1)),
    num("halved", "halved", "answer the receiver divided by 2", "10 halved",
        ("10 halved", 5), ("7 halved", 3.5)),
    calc("add:To:", "add:To:", "answer the sum of the two arguments", "calc add: 3 To: 4",
         ("calc add: 3 To: 4", 7), ("calc add: -1 To: 10", 9)),
    calc("average:With:", "average:With:", "answer the mean of the two numbers",
         "calc average: 4 With: 8", ("calc average: 4 With: 8", 6), ("calc average: 1 With: 2", 1.5)),
    calc("larger:Or:", "larger:Or:", "answer the larger of the two numbers",
         "calc larger: 3 Or: 9", ("calc larger: 3 Or: 9", 9), ("calc larger: 12 Or: 2", 12)),
    num("absoluteValue", "absoluteValue", "answer the receiver without its sign",
        "-5 absoluteValue", ("-5 absoluteValue", 5), ("6 absoluteValue", 6),
        ("-15 absoluteValue", 15)),
    calc("percent:Of:", "percent:Of:", "answer the given percent of the total",
         "calc percent: 25 Of: 200", ("calc percent: 25 Of: 200", 50), ("calc percent: 10 Of: 50", 5)),
    calc("hypotenuseOf:And:", "hypotenuseOf:And:",
         "answer the length of the hypotenuse of a right triangle with these two sides",
         "calc hypotenuseOf: 3 And: 4", ("calc hypotenuseOf: 3 And: 4", 5),
         ("calc hypotenuseOf: 6 And: 8", 10)),
    calc("factorialOf:", "factorialOf:", "answer n factorial (1 * 2 * ... * n)",
         "calc factorialOf: 5", ("calc factorialOf: 5", 120), ("calc factorialOf: 0", 1),
         ("calc factorialOf: 3", 6)),
    calc("sumUpTo:", "sumUpTo:", "answer the sum of the integers from 1 to n",
         "calc sumUpTo: 10", ("calc sumUpTo: 10", 55), ("calc sumUpTo: 3", 6)),
    calc("isPrime:", "isPrime:", "answer whether n is a prime number", "calc isPrime: 7",
         ("calc isPrime: 7", True), ("calc isPrime: 9", False), ("calc isPrime: 2", True),
         ("calc isPrime: 1", False)),
    calc("fibonacci:", "fibonacci:", "answer the n-th Fibonacci number (fibonacci: 1 is 1, fibonacci: 2 is 1)",
         "calc fibonacci: 10", ("calc fibonacci: 10", 55), ("calc fibonacci: 2", 1),
         ("calc fibonacci: 7", 13)),
    calc("gcdOf:And:", "gcdOf:And:", "answer the greatest common divisor of the two numbers",
         "calc gcdOf: 12 And: 18", ("calc gcdOf: 12 And: 18", 6), ("calc gcdOf: 7 And: 5", 1)),
    num("celsiusToFahrenheit", "celsiusToFahrenheit",
        "answer the receiver, a temperature in Celsius, converted to Fahrenheit",
        "100 celsiusToFahrenheit", ("100 celsiusToFahrenheit", 212), ("0 celsiusToFahrenheit", 32)),
    calc("clamp:Low:High:", "clamp:Low:High:",
         "answer the value limited to lie between low and high", "calc clamp: 15 Low: 0 High: 10",
         ("calc clamp: 15 Low: 0 High: 10", 10), ("calc clamp: -3 Low: 0 High: 10", 0),
         ("calc clamp: 5 Low: 0 High: 10", 5)),
    calc("signOf:", "signOf:", "answer -1, 0 or 1 for a negative, zero or positive number",
         "calc signOf: -3", ("calc signOf: -3", -1), ("calc signOf: 0", 0), ("calc signOf: 8", 1)),
    num("isDivisibleBy:", "isDivisibleBy:", "answer whether the receiver is divisible by n",
        "12 isDivisibleBy: 4", ("12 isDivisibleBy: 4", True), ("10 isDivisibleBy: 3", False)),
    num("digitSum", "digitSum", "answer the sum of the decimal digits of the receiver",
        "123 digitSum", ("123 digitSum", 6), ("9045 digitSum", 18)),
    # --- strings ------------------------------------------------------------------------------
    text("capitalized", "capitalized", "answer the string with its first letter in upper case",
         "'hello' capitalized", ("'hello' capitalized", "Hello"), ("'world' capitalized", "World")),
    text("backwards", "backwards", "answer the string reversed", "'hello' backwards",
         ("'hello' backwards", "olleh"), ("'abc' backwards", "cba")),
    text("occurrencesOf:", "occurrencesOf:", "answer how many times the given string occurs in the receiver",
         "'banana' occurrencesOf: 'a'", ("'banana' occurrencesOf: 'a'", 3),
         ("'hello' occurrencesOf: 'l'", 2)),
    text("wordCount", "wordCount", "answer the number of words in the string",
         "'hello big world' wordCount", ("'hello big world' wordCount", 3), ("'one' wordCount", 1)),
    text("repeated:", "repeated:", "answer the string repeated n times", "'ab' repeated: 3",
         ("'ab' repeated: 3", "ababab"), ("'x' repeated: 2", "xx")),
    text("isPalindrome", "isPalindrome", "answer whether the string reads the same backwards",
         "'racecar' isPalindrome", ("'racecar' isPalindrome", True), ("'hello' isPalindrome", False)),
    text("firstLetter", "firstLetter", "answer the first character of the string",
         "'hello' firstLetter", ("'hello' firstLetter", "h"), ("'uvm' firstLetter", "u")),
    text("vowelCount", "vowelCount", "answer how many vowels (a, e, i, o, u) the string has",
         "'education' vowelCount", ("'education' vowelCount", 5), ("'sky' vowelCount", 0)),
    text("surroundedBy:", "surroundedBy:", "answer the string with the given string before and after it",
         "'hi' surroundedBy: '*'", ("'hi' surroundedBy: '*'", "*hi*"), ("'a' surroundedBy: '--'", "--a--")),
    text("initials", "initials", "answer the first letter of each word, joined",
         "'grace brewster hopper' initials", ("'grace brewster hopper' initials", "gbh"),
         ("'ada lovelace' initials", "al")),
    text("withoutSpaces", "withoutSpaces", "answer the string with every space removed",
         "'a b c' withoutSpaces", ("'a b c' withoutSpaces", "abc"), ("' x y ' withoutSpaces", "xy")),
    # --- lists --------------------------------------------------------------------------------
    lst("totalOf:", "totalOf:", "answer the sum of the numbers in the list", f"calc totalOf: {L}",
        (f"calc totalOf: {L}", 14), (f"calc totalOf: {M}", 11)),
    lst("largestIn:", "largestIn:", "answer the largest number in the list", f"calc largestIn: {L}",
        (f"calc largestIn: {L}", 8), (f"calc largestIn: {M}", 6)),
    lst("evensIn:", "evensIn:", "answer a list of the even numbers in the list, in order",
        f"calc evensIn: {L}", (f"calc evensIn: {L}", [8, -2]), (f"calc evensIn: {M}", [4, 6])),
    lst("doubledAll:", "doubledAll:", "answer a list with every number of the list doubled",
        f"calc doubledAll: {M}", (f"calc doubledAll: {M}", [8, 2, 12]), (f"calc doubledAll: {L}", [6, 16, -4, 10])),
    lst("meanOf:", "meanOf:", "answer the average of the numbers in the list", f"calc meanOf: {M}",
        (f"calc meanOf: {M}", 11 / 3), (f"calc meanOf: {L}", 3.5)),
    lst("countPositives:", "countPositives:", "answer how many numbers in the list are greater than zero",
        f"calc countPositives: {L}", (f"calc countPositives: {L}", 3), (f"calc countPositives: {M}", 3)),
    # --- methods that update self --------------------------------------------------------------
    state("increment", "lobby _AddSlots: (| counter = (| parent* = traits clonable. count <- 0 |) |).",
          "counter", "increment", "add one to the count slot and answer the new count",
          "counter increment", ("counter increment. counter increment. counter count", 3)),
    state("deposit:", "lobby _AddSlots: (| account = (| parent* = traits clonable. balance <- 100 |) |).",
          "account", "deposit:", "add the amount to the balance slot and answer the new balance",
          "account deposit: 50", ("account balance", 150), ("account deposit: 5. account balance", 155)),
    state("withdraw:", "lobby _AddSlots: (| account = (| parent* = traits clonable. balance <- 100 |) |).",
          "account", "withdraw:", "subtract the amount from the balance slot and answer the new balance",
          "account withdraw: 30", ("account balance", 70), ("account withdraw: 20. account balance", 50)),
    state("resetCount", "lobby _AddSlots: (| counter = (| parent* = traits clonable. count <- 7 |) |).",
          "counter", "resetCount", "set the count slot back to zero",
          "counter resetCount", ("counter count", 0), ("counter count: 4. counter resetCount. counter count", 0)),
    state("moveBy:", "lobby _AddSlots: (| point = (| parent* = traits clonable. x <- 1. y <- 2 |) |).",
          "point", "moveBy:", "add the given amount to both the x and the y slot",
          "point moveBy: 3", ("point x", 4), ("point y", 5), ("point moveBy: 1. point x + point y", 11)),
    state("push:", "lobby _AddSlots: (| stack = (| parent* = traits clonable. items <- (1 & 2) asList |) |).",
          "stack", "push:", "append the value to the end of the items list",
          "stack push: 5", ("stack items", [1, 2, 5]), ("stack push: 6. stack items size", 4)),
]

# name -> ((UVM expression, value), ...): the examples a user gives with the intent
EXAMPLES = {
    'triple': (('2 triple', 6),),
    'triple:': (('calc triple: 4', 12),),
    'tenTimes': (('2 tenTimes', 20),),
    'cubed': (('3 cubed', 27),),
    'halved': (('8 halved', 4),),
    'add:To:': (('calc add: 2 To: 5', 7),),
    'average:With:': (('calc average: 2 With: 6', 4),),
    'larger:Or:': (('calc larger: 5 Or: 1', 5), ('calc larger: 2 Or: 7', 7),),
    'absoluteValue': (('-7 absoluteValue', 7),),
    'percent:Of:': (('calc percent: 50 Of: 30', 15),),
    'hypotenuseOf:And:': (('calc hypotenuseOf: 5 And: 12', 13),),
    'factorialOf:': (('calc factorialOf: 4', 24),),
    'sumUpTo:': (('calc sumUpTo: 4', 10),),
    'isPrime:': (('calc isPrime: 5', True), ('calc isPrime: 4', False),),
    'fibonacci:': (('calc fibonacci: 6', 8),),
    'gcdOf:And:': (('calc gcdOf: 8 And: 12', 4),),
    'celsiusToFahrenheit': (('10 celsiusToFahrenheit', 50),),
    'clamp:Low:High:': (('calc clamp: 20 Low: 1 High: 9', 9), ('calc clamp: 4 Low: 1 High: 9', 4),),
    'signOf:': (('calc signOf: -7', -1), ('calc signOf: 2', 1),),
    'isDivisibleBy:': (('9 isDivisibleBy: 3', True), ('9 isDivisibleBy: 2', False),),
    'digitSum': (('45 digitSum', 9),),
    'capitalized': (("'uvm' capitalized", 'Uvm'),),
    'backwards': (("'xyz' backwards", 'zyx'),),
    'occurrencesOf:': (("'mississippi' occurrencesOf: 's'", 4),),
    'wordCount': (("'a b' wordCount", 2),),
    'repeated:': (("'xy' repeated: 2", 'xyxy'),),
    'isPalindrome': (("'noon' isPalindrome", True), ("'moon' isPalindrome", False),),
    'firstLetter': (("'zebra' firstLetter", 'z'),),
    'vowelCount': (("'banana' vowelCount", 3),),
    'surroundedBy:': (("'b' surroundedBy: '#'", '#b#'),),
    'initials': (("'alan turing' initials", 'at'),),
    'withoutSpaces': (("'o k' withoutSpaces", 'ok'),),
    'totalOf:': (('calc totalOf: (1 & 2) asList', 3),),
    'largestIn:': (('calc largestIn: (2 & 9 & 4) asList', 9),),
    'evensIn:': (('calc evensIn: (1 & 2 & 3 & 4) asList', [2, 4]),),
    'doubledAll:': (('calc doubledAll: (5 & 7) asList', [10, 14]),),
    'meanOf:': (('calc meanOf: (2 & 4) asList', 3),),
    'countPositives:': (('calc countPositives: (-1 & 2 & 0) asList', 1),),
    'increment': (('counter increment. counter count', 2),),
    'deposit:': (('account deposit: 10. account balance', 160),),
    'withdraw:': (('account withdraw: 10. account balance', 60),),
    'resetCount': (('counter count: 3. counter resetCount. counter count', 0),),
    'moveBy:': (('point moveBy: 2. point x', 6),),
    'push:': (('stack push: 9. stack items last', 9),),
}
