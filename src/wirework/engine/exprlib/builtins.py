"""Documentation entries of the sandbox's own Jinja filters and globals (``length``,
``default``, ``upper``, ``round``, ``range`` …), so that the editor completes them and the
reference lists them next to the library's. They are implemented and costed in
:mod:`wirework.engine.expressions`; their examples run as tests like the others.
"""

from __future__ import annotations

from typing import Any, Final

from wirework.engine.exprlib.registry import Group, Registrar

data: Final = Registrar(Group.DATA)
strings: Final = Registrar(Group.STRINGS)
numbers: Final = Registrar(Group.NUMBERS)

#: (name, parameters, description, examples) of one documented builtin.
Row = tuple[str, str, str, list[tuple[str, Any]]]


def _declare(registrar: Registrar, rows: list[Row]) -> None:
    for name, params, text, examples in rows:
        registrar.builtin(name, params, text, examples=examples)


# --------------------------------------------------------------------------- data

_declare(
    data,
    [
    ("length", "value", "The number of elements of a list, keys of an object or characters.",
     [("{{ json.orders | length }}", 3)]),
    ("count", "value", "The same as length.", [("{{ 'abc' | count }}", 3)]),
    ("first", "list", "The first element (null for an empty list).",
     [("{{ json.tags | first }}", "math")]),
    ("last", "list", "The last element.", [("{{ json.tags | last }}", "poetry")]),
    ("default", "value, default='', boolean=false",
     "default when the value is missing (or, with boolean=true, empty or false too).",
     [("{{ json.missing | default('n/a') }}", "n/a")]),
    ("d", "value, default=''", "The same as default.", [("{{ json.missing | d(0) }}", 0)]),
    ("join", "list, separator='', attribute=None", "The elements as text, joined by separator.",
     [("{{ json.tags | join(', ') }}", "math, poetry")]),
    ("sort", "list, reverse=false, case_sensitive=false, attribute=None",
     "The list sorted (attribute: a key path of each element).",
     [("{{ [3, 1, 2] | sort }}", [1, 2, 3])]),
    ("unique", "list, case_sensitive=false, attribute=None",
     "The list without repeats; text compared ignoring case (see distinct).",
     [("{{ ['a', 'A', 'b'] | unique | list }}", ["a", "b"])]),
    ("reverse", "value", "The list (or text) in reverse order.",
     [("{{ [1, 2, 3] | reverse | list }}", [3, 2, 1])]),
    ("map", "list, attribute=… or filter name",
     "Each element's attribute (map(attribute='id')), or each element through a filter.",
     [("{{ json.orders | map(attribute='id') | list }}", [1, 2, 3])]),
    ("select", "list, test", "The elements that pass a test ('odd', 'defined', …).",
     [("{{ [1, 2, 3] | select('odd') | list }}", [1, 3])]),
    ("reject", "list, test", "The elements that fail a test.",
     [("{{ [1, 2, 3] | reject('odd') | list }}", [2])]),
    ("selectattr", "list, attribute, test='truthy', value",
     "The elements whose attribute passes a test.",
     [("{{ json.orders | selectattr('status', 'eq', 'paid') | map(attribute='id') | list }}",
       [1, 3])]),
    ("rejectattr", "list, attribute, test='truthy', value",
     "The elements whose attribute fails a test.",
     [("{{ json.orders | rejectattr('status', 'eq', 'paid') | map(attribute='id') | list }}",
       [2])]),
    ("groupby", "list, attribute", "[grouper, elements] pairs by an attribute (see group_by).",
     [("{{ json.orders | groupby('status') | map(attribute='grouper') | list }}",
       ["open", "paid"])]),
    ("dictsort", "object, case_sensitive=false, by='key', reverse=false",
     "An object's [key, value] pairs, sorted.",
     [("{{ {'b': 1, 'a': 2} | dictsort }}", [["a", 2], ["b", 1]])]),
    ("batch", "list, size, fill_with=None", "The list in lists of size (see chunk).",
     [("{{ [1, 2, 3] | batch(2) | list }}", [[1, 2], [3]])]),
    ("slice", "list, slices, fill_with=None", "The list cut into that many lists.",
     [("{{ [1, 2, 3, 4] | slice(2) | list }}", [[1, 2], [3, 4]])]),
    ("list", "value", "A list of the value's elements (characters of text).",
     [("{{ 'ab' | list }}", ["a", "b"])]),
    ("sum", "list, attribute=None, start=0", "The sum of the elements (or of an attribute).",
     [("{{ json.orders | sum(attribute='total') }}", 67.5)]),
    ("min", "list, case_sensitive=false, attribute=None", "The smallest element.",
     [("{{ [3, 1, 2] | min }}", 1)]),
    ("max", "list, case_sensitive=false, attribute=None", "The largest element.",
     [("{{ [3, 1, 2] | max }}", 3)]),
    ("tojson", "value, indent=None", "The value as JSON text (like to_json).",
     [("{{ {'a': 1} | tojson }}", '{"a":1}')]),
    ("items", "object", "An object's [key, value] pairs.",
     [("{{ {'a': 1} | items | list }}", [["a", 1]])]),
    ("attr", "value, name", "An attribute or key of a value by name.",
     [("{{ json | attr('name') }}", "Ada Lovelace")]),
    ("random", "list", "A random element (not for secrets).", [("{{ [7] | random }}", 7)]),
    ],
)  # fmt: skip

data.builtin(
    "range", "start=0, stop, step=1", "The numbers from start up to (not including) stop.",
    examples=[("{{ range(3) | list }}", [0, 1, 2])], forms="function",
)  # fmt: skip
data.builtin(
    "dict", "**pairs", "An object of the given keys and values.",
    examples=[("{{ dict(a=1, b=2) }}", {"a": 1, "b": 2})], forms="function",
)  # fmt: skip
data.builtin(
    "namespace", "**values", "An object {% set ns.x = … %} can change inside loops.",
    examples=[("{% set ns = namespace(n=0) %}{% for x in [1, 2] %}{% set ns.n = ns.n + x %}"
               "{% endfor %}{{ ns.n }}", "3")], forms="function",
)  # fmt: skip

# --------------------------------------------------------------------------- strings

_declare(
    strings,
    [
    ("upper", "text", "The text in upper case.", [("{{ 'abc' | upper }}", "ABC")]),
    ("lower", "text", "The text in lower case.", [("{{ 'ABC' | lower }}", "abc")]),
    ("capitalize", "text", "The first character upper case, the rest lower case.",
     [("{{ 'hello WORLD' | capitalize }}", "Hello world")]),
    ("title", "text", "Every word capitalised.", [("{{ 'hello world' | title }}", "Hello World")]),
    ("trim", "text, chars=None", "The text without whitespace (or chars) at both ends.",
     [("{{ '  hi  ' | trim }}", "hi"), ("{{ '--hi--' | trim('-') }}", "hi")]),
    ("truncate", "text, length=255, killwords=false, end='...', leeway=5",
     "The text cut to length with end added (texts up to leeway longer are kept whole).",
     [("{{ 'The quick brown fox' | truncate(13, leeway=0) }}", "The quick...")]),
    ("replace", "text, old, new, count=None", "The text with old replaced by new.",
     [("{{ 'a-b-c' | replace('-', '+') }}", "a+b+c")]),
    ("center", "text, width=80", "The text centred in width characters.",
     [("{{ 'ab' | center(6) }}", "  ab  ")]),
    ("indent", "text, width=4, first=false, blank=false", "Lines after the first indented.",
     [("{{ 'a\nb' | indent(2) }}", "a\n  b")]),
    ("wordwrap", "text, width=79, break_long_words=true, wrapstring=None",
     "The text wrapped at width characters.", [("{{ 'aaa bbb' | wordwrap(3) }}", "aaa\nbbb")]),
    ("wordcount", "text", "The number of words.", [("{{ 'one two three' | wordcount }}", 3)]),
    ("striptags", "text", "The text without HTML tags, whitespace collapsed, entities decoded.",
     [("{{ '<p>Hi &amp; bye</p>' | striptags }}", "Hi & bye")]),
    ("escape", "text", "HTML special characters as entities.",
     [("{{ '<b>' | escape }}", "&lt;b&gt;")]),
    ("e", "text", "The same as escape.", [("{{ '&' | e }}", "&amp;")]),
    ("format", "text, *values", "printf-style formatting (%s, %d, %.2f).",
     [("{{ '%s has %d' | format('Ada', 3) }}", "Ada has 3")]),
    ("string", "value", "The value as text (like to_str).", [("{{ 12 | string }}", "12")]),
    ("urlencode", "value",
     "Text percent-encoded for a URL path (keeps /), or an object as a query string.",
     [("{{ {'q': 'a b', 'n': 1} | urlencode }}", "q=a+b&n=1")]),
    ],
)  # fmt: skip

# --------------------------------------------------------------------------- numbers

_declare(
    numbers,
    [
    ("abs", "number", "The number without its sign (like abs()).", [("{{ -2 | abs }}", 2)]),
    ("round", "number, precision=0, method='common'",
     "Python's rounding (halves to even), always a float; method 'ceil' or 'floor' too.",
     [("{{ 2.567 | round(2) }}", 2.57)]),
    ("int", "value, default=0", "A whole number, or default (0) when it cannot be one.",
     [("{{ '12' | int }}", 12)]),
    ("float", "value, default=0.0", "A number, or default (0.0) when it cannot be one.",
     [("{{ '1.5' | float }}", 1.5)]),
    ("filesizeformat", "bytes, binary=false", "A size in bytes in human units (kB, MB …).",
     [("{{ 1500000 | filesizeformat }}", "1.5 MB")]),
    ],
)  # fmt: skip
