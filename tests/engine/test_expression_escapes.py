"""Known Jinja/Python sandbox escapes and resource bombs: every one must be refused,
within the budget.

Each case is refused with an ExpressionError (an ExpressionLimitError for the bombs), or,
for a harmless name that is simply not there, evaluates to nothing (None or ''), exposing
nothing. Instead of timing them, the tests read the budget's counters: no evaluation is
ever let past its work, operations or memory budget (the work units are calibrated to CPU
time: see wirework.engine.expr_budget), and a refused one says which limit it hit.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from wirework.engine import expr_filters
from wirework.engine.expressions import (
    MAX_MEMORY,
    MAX_OPERATIONS,
    MAX_OUTPUT_CHARS,
    MAX_SOURCE_CHARS,
    MAX_WORK,
    ExpressionError,
    ExpressionLimitError,
    Usage,
    check_syntax,
    evaluate,
    make_scope,
    measure,
)

ERROR = "error"  # any ExpressionError
LIMIT = "limit"  # an ExpressionLimitError saying a limit was exceeded
NOTHING = "nothing"  # None (whole expression) or '' (text): nothing exposed

ITEM = {"body": {"title": "t"}, "count": 1, "list": [1, 2, 3]}
ITEMS = [{"a": 1}, {"a": 2}]


BIG_VARS = {
    "big": "x" * 4_000_000,
    "big2": "x" * 4_000_000,
    "amp": "&a" * 2_450_000,  # the security review's striptags case: 4.9 MB
    "words": "a " * 2_500_000,
    "lines": "a\n" * 2_500_000,
    "html": "<p>Hello <b>world</b>, this is &amp; some text.</p>\n" * 80_000,  # 4 MB
    "nums": list(range(500_000)),
    "strs": [str(i) for i in range(200_000)],
}


def scope() -> dict[str, Any]:
    return make_scope(ITEM, items=ITEMS, nodes={"Webhook": [{"id": 1}]}, vars=BIG_VARS)


ESCAPES = [
    # subclass walks through dunder attributes, in every spelling
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", ERROR),
    ("{{ ''.__class__.__mro__[2].__subclasses__()[40]('/etc/passwd').read() }}", ERROR),
    ("{{ ''|attr('__class__') }}", ERROR),
    ("{{ (''|attr('__class__')|attr('__mro__'))[1] }}", ERROR),
    ("{{ ''['__class__'] }}", ERROR),
    ("{{ json['__class__'] }}", ERROR),
    ("{{ json['__class__']['__base__'] }}", ERROR),
    ("{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}", ERROR),
    ("{{ ''['\\x5f\\x5fclass\\x5f\\x5f'] }}", ERROR),
    ("{{ ''|attr('_' ~ '_class_' ~ '_') }}", ERROR),
    ("{{ ().__class__.__base__.__subclasses__() }}", ERROR),
    ("{{ [].__class__.__base__ }}", ERROR),
    ("{{ json.__class__ }}", ERROR),
    ("{{ json|attr('__class__') }}", ERROR),
    ("{{ (1).__class__ }}", ERROR),
    ("{{ now.__class__.__init__ }}", ERROR),
    ("{{ x.__dict__ }}", ERROR),
    ("{{ json|attr('__dict__') }}", ERROR),
    ("{{ json|attr('__getitem__') }}", ERROR),
    ("{{ 'x'.__add__ }}", ERROR),
    # framework globals, by name (Flask/Django style) and through the removed helpers
    ("{{ request.application.__globals__.__builtins__ }}", ERROR),
    ("{{ request|attr('application') }}", ERROR),
    ("{{ config.items() }}", ERROR),
    ("{{ config }}", NOTHING),
    ("{{ self }}", ERROR),
    ("{{ self._TemplateReference__context }}", ERROR),
    ("{{ lipsum.__globals__.os.popen('id').read() }}", ERROR),
    ("{{ lipsum|attr('__globals__') }}", ERROR),
    ("{{ lipsum }}", NOTHING),
    ("{{ cycler.__init__.__globals__.os }}", ERROR),
    ("{{ cycler }}", NOTHING),
    ("{{ joiner.__init__.__globals__ }}", ERROR),
    ("{{ namespace.__init__.__globals__ }}", ERROR),
    ("{{ namespace|attr('__init__') }}", ERROR),
    ("{{ namespace['__init__'] }}", ERROR),
    ("{{ namespace(a=1)|attr('_Namespace__attrs') }}", ERROR),
    ("{{ range.__self__ }}", ERROR),
    ("{{ range|attr('__self__') }}", ERROR),
    ("{{ range.func_globals }}", ERROR),
    ("{{ dict.mro() }}", ERROR),
    ("{{ dict.__mro__ }}", ERROR),
    ("{{ dict|attr('fromkeys') }}", ERROR),
    ("{{ __builtins__ }}", ERROR),
    ("{{ __import__('os').system('id') }}", ERROR),
    ("{{ _ }}", NOTHING),
    ("{{ _x.__class__ }}", ERROR),
    # Python internals of data, generators, frames and tracebacks
    ("{{ json.func_globals }}", NOTHING),
    ("{{ json.gi_frame }}", NOTHING),
    ("{{ json.tb_frame }}", NOTHING),
    ("{{ (items|map('string')).gi_frame }}", ERROR),
    ("{{ (items|map('string'))|attr('gi_frame') }}", ERROR),
    ("{{ (items|map('string')).gi_frame.f_back.f_globals }}", ERROR),
    ("{{ (items|map('string')).gi_code }}", ERROR),
    ("{{ json.keys().mapping }}", ERROR),
    ("{{ json.get.__self__ }}", ERROR),
    ("{{ json.get|attr('__self__') }}", ERROR),
    ("{{ now.tzinfo }}", ERROR),
    ("{{ ''.encode('utf-8') }}", ERROR),
    ("{{ ''.maketrans }}", ERROR),
    # mutation of the engine's data
    ("{{ items.pop() }}", ERROR),
    ("{{ items.append(1) }}", ERROR),
    ("{{ items.clear() }}", ERROR),
    ("{{ items.sort() }}", ERROR),
    ("{{ json.update({'count': 2}) }}", ERROR),
    ("{{ json.setdefault('x', 1) }}", ERROR),
    ("{{ json.pop('count') }}", ERROR),
    ("{{ json.list.extend([4]) }}", ERROR),
    ("{% set _ = items.append(1) %}", ERROR),
    # format-string gadgets
    ("{{ '{0.__class__}'.format(json) }}", ERROR),
    ("{{ '{0.__class__.__mro__}'.format_map({'0': json}) }}", ERROR),
    ("{{ ''|attr('format') }}", ERROR),
    ("{{ (''|attr('format'))('{0.__class__}', json) }}", ERROR),
    ("{{ ''['format'] }}", ERROR),
    ("{{ '%(__class__)s' % json }}", ERROR),
    ("{{ '%r' % (range,) }}", ERROR),
    ("{{ '%s'|format(range) }}", ERROR),
    ("{{ '%r'|format(json.keys) }}", ERROR),
    ("{{ json|map(attribute='__class__')|list }}", ERROR),
    ("{{ items|map(attribute='__class__')|list }}", ERROR),
    ("{{ items|map(attribute='a.__class__')|list }}", ERROR),
    ("{{ items|selectattr('__class__')|list }}", ERROR),
    ("{{ items|sort(attribute='__class__') }}", ERROR),
    ("{{ items|groupby('__class__') }}", ERROR),
    ("{{ items|join(attribute='__class__') }}", ERROR),
    ("{{ items|sum(attribute='__class__') }}", ERROR),
    # statements and {% set %} games
    ("{% set x = json %}{% set x.__class__ = 1 %}", ERROR),
    ("{% set x = json %}{% set x.count = 99 %}", ERROR),
    ("{% set ns = namespace() %}{% set ns.__class__ = 1 %}", ERROR),
    ("{% set ns = namespace() %}{% set ns._secret = 1 %}", ERROR),
    ("{% set __class__ = 1 %}", ERROR),
    ("{% for x in items recursive %}{{ loop(x) }}{% endfor %}", ERROR),
    ("{% for x in items %}{{ loop.__class__ }}{% endfor %}", ERROR),
    ("{% for x in items %}{{ loop|attr('_iterator') }}{% endfor %}", ERROR),
    ("{% macro m() %}{% endmacro %}{{ m.__globals__ }}", ERROR),
    ("{% macro m() %}{% endmacro %}{{ m|attr('_func') }}", ERROR),
    ("{% macro m() %}{% endmacro %}{{ m.name }}", ERROR),
    ("{% include '/etc/passwd' %}", ERROR),
    ("{% import 'os' as os %}", ERROR),
    ("{% from 'x' import y %}", ERROR),
    ("{% extends 'base' %}", ERROR),
    ("{% block b %}{% endblock %}", ERROR),
    ("{% do items.append(1) %}", ERROR),
]


BOMBS = [
    # multiplication, powers, concatenation
    ("{{ 'a' * 10**10 }}", LIMIT),
    ("{{ 10**10 * 'a' }}", LIMIT),
    ("{{ [1] * 10**9 }}", LIMIT),
    ("{{ (1,) * 10**9 }}", LIMIT),
    ("{{ [[1] * 1000] * 100000 }}", LIMIT),
    ("{{ 9**(9**9) }}", LIMIT),
    ("{{ 10**(10**10) }}", LIMIT),
    ("{{ 2**100000 }}", LIMIT),
    ("{{ (10**1000) * (10**1000) * (10**1000) * (10**1000) * (10**1000) }}", LIMIT),
    ("{{ 'x' * 4000000 ~ 'x' * 4000000 }}", LIMIT),
    ("{{ 'x' * 4000000 + 'x' * 4000000 }}", LIMIT),
    # ranges, joins, loops
    ("{{ range(10**10) }}", LIMIT),
    ("{{ range(10**9)|list }}", LIMIT),
    ("{{ range(10**9)|join }}", LIMIT),
    ("{{ range(10**100)|length }}", LIMIT),
    ("{{ range(100000)|join('x' * 1000000) }}", LIMIT),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", LIMIT),
    (
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ i + j }}{% endfor %}"
        "{% endfor %}",
        LIMIT,
    ),
    ("{% for i in items * 50000 %}{% for j in items * 50000 %}x{% endfor %}{% endfor %}", LIMIT),
    (
        "{{ range(100000)|map('string')|map('upper')|map('lower')|list|length }}{{ 'x' * 10**9 }}",
        LIMIT,
    ),
    # doubling: strings and lists that double at every step
    (
        "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s|length }}",
        LIMIT,
    ),
    (
        "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}"
        "{% endfor %}",
        LIMIT,
    ),
    (
        "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = [ns.l, ns.l] %}"
        "{% endfor %}{{ ns.l|length }}",
        LIMIT,
    ),
    (
        "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}"
        "{% endfor %}",
        LIMIT,
    ),
    (
        "{% set a = range(100000)|list %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}"
        "{% set c = [b, b, b, b, b, b, b, b, b, b] %}{{ c|length }}",
        LIMIT,
    ),
    (
        "{% set a = range(50000)|list %}{% set b = {'x': a, 'y': a} %}"
        "{% set c = {'p': b, 'q': b} %}{% set d = {'p': c, 'q': c} %}"
        "{% set e = {'p': d, 'q': d} %}{% set f = {'p': e, 'q': e} %}{{ f|tojson|length }}",
        LIMIT,
    ),
    # filters and methods that pad, repeat or join
    ("{{ 'x'|center(10**9) }}", LIMIT),
    ("{{ 'a'|indent(10**9) }}", LIMIT),
    ("{{ ('a\n' * 1000000)|indent(100) }}", LIMIT),
    ("{{ ('a\n' * 100000)|indent('x' * 100) }}", LIMIT),
    ("{{ '%s'|format('x') ~ '%999999999s'|format('x') }}", LIMIT),
    ("{{ '%.999999999f'|format(1.5) }}", LIMIT),
    ("{{ '%999999999d' % 1 }}", LIMIT),
    ("{{ '%*s' % (10**9, 'a') }}", ERROR),
    ("{{ ('%1000s' * 100000) % ((1,) * 100000) }}", LIMIT),
    ('{{ "{:>999999999}".format(1) }}', ERROR),
    ('{{ "{:{}}".format(1, 10**9) }}', ERROR),
    ("{{ ('a' * 1000000)|replace('a', 'a' * 1000) }}", LIMIT),
    ("{{ ('a' * 1000000).replace('a', 'bb' * 1000) }}", LIMIT),
    ("{{ 'a'.ljust(10**9) }}", LIMIT),
    ("{{ 'a'.rjust(10**9) }}", LIMIT),
    ("{{ 'a'.center(10**9) }}", LIMIT),
    ("{{ 'a'.zfill(10**9) }}", LIMIT),
    ("{{ ('x' * 1000000).join(['a'] * 1000) }}", LIMIT),
    ("{{ ('a ' * 1000000)|wordwrap(1, true, 'x' * 1000) }}", LIMIT),
    ("{{ [1]|batch(10**9, 0)|list }}", LIMIT),
    ("{{ [1]|slice(10**9)|list }}", LIMIT),
    ("{{ ([[1] * 1000] * 1000)|sum(start=[]) }}", LIMIT),
    ("{{ now.strftime('%c' * 100000) }}", LIMIT),
    ("{{ (range(100000)|list|string) * 100 }}", LIMIT),
    ("{{ ('x' * 1000000)|list|list|list|list|list|list|list|list|list|list|length }}", LIMIT),
    # comparing and copying large values over and over
    ("{% for i in range(100000) %}{% if vars.big == vars.big2 %}{% endif %}{% endfor %}", LIMIT),
    ("{% for i in range(100000) %}{% if 'y' in vars.big %}{% endif %}{% endfor %}", LIMIT),
    ("{% for i in range(100000) %}{% set c = vars.big[1:] %}{% endfor %}", LIMIT),
    ("{% for i in range(100000) %}{{ vars.big|upper|length }}{% endfor %}", LIMIT),
    ("{% for i in range(100000) %}{{ vars.big.count('y') }}{% endfor %}", LIMIT),
    # Python-level work hidden behind a cheap-looking call
    ("{% for i in range(100000) %}{{ vars.big|float }}{% endfor %}", LIMIT),
    ("{% for i in range(100000) %}{{ vars.big is lower }}{% endfor %}", LIMIT),
    ("{% for i in range(100000) %}{{ vars.big.islower() }}{% endfor %}", LIMIT),
    ("{{ ('<a>' * 1000000)|striptags|length }}{{ 'x' * 10**9 }}", LIMIT),
    ("{{ ('a' * 200000)|wordwrap(1) }}", LIMIT),
    ("{{ '%(a(b)s)999999999s' % {'a(b)s': 1} }}", ERROR),
    ("{{ ('%s' * 1000000) % (('x',) * 1000000) }}", LIMIT),
    (
        "{% set t = (1,) * 1000000 %}{% for i in range(100000) %}{% set d = {t: 1} %}{% endfor %}",
        LIMIT,
    ),
    ("{% set t = (1,) * 1000000 %}{% for i in range(100000) %}{{ json[t] }}{% endfor %}", LIMIT),
    ("{% set t = (1,) * 1000000 %}{% for i in range(100000) %}{{ t in json }}{% endfor %}", LIMIT),
    (
        "{% set t = (1,) * 1000000 %}{% for i in range(100000) %}{{ loop.changed(t) }}{% endfor %}",
        LIMIT,
    ),
    ("{% set t = [1] * 1000000 %}{% for i in range(100000) %}{{ t.count(2) }}{% endfor %}", LIMIT),
    (
        "{% set t = (1,) * 1000000 %}{% for i in range(100) %}{{ [t, t, t]|unique|list }}"
        "{% endfor %}",
        LIMIT,
    ),
    (
        "{% set t = (1,) * 1000000 %}{% for i in range(100000) %}{{ dict([(t, 1)])|length }}"
        "{% endfor %}",
        LIMIT,
    ),
    ("{{ (range(100000)|list * 40)|sort|length }}", LIMIT),
    (
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ [i, j] }}{% endfor %}"
        "{% endfor %}",
        LIMIT,
    ),
    (
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ json.count.b }}{% endfor %}"
        "{% endfor %}",
        LIMIT,
    ),
    (
        "{% set a = range(1000)|list %}{% set b = [a] * 1000 %}{% set c = [b] * 4 %}"
        "{% for i in range(100) %}{{ c|length }}{% set d = [c] %}{% endfor %}{{ [c, c] }}",
        LIMIT,
    ),
    # recursion
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", LIMIT),
    (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(60) }}",
        LIMIT,
    ),
    (
        "{% macro f(n) %}{% if n %}{% for i in range(1000) %}{{ f(n - 1) }}{% endfor %}"
        "{% endif %}{% endmacro %}{{ f(5) }}",
        LIMIT,
    ),
    ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", ERROR),
    ("{{ " + "[" * 5000 + "]" * 5000 + " }}", ERROR),
    # output bigger than the cap
    ("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", LIMIT),
    ("{% for i in range(100000) %}" + "x" * 1000 + "{% endfor %}", LIMIT),
    (
        "{% macro m() %}"
        + "x" * 100000
        + "{% endmacro %}{% for i in range(1000) %}{{ m() }}{% endfor %}",
        LIMIT,
    ),
    ("{% set s %}{% for i in range(100000) %}" + "y" * 1000 + "{% endfor %}{% endset %}", LIMIT),
    ("{{ vars.big }}{{ vars.big }}{{ vars.big }}", LIMIT),
]

HARMLESS = [
    # left-associative in Jinja: (9**9)**9 and (10**10)**10, both small
    ("{{ 9**9**9 }}", 9**81),
    ("{{ 10**10**10 }}", 10**100),
    ("{{ 2**4000 > 0 }}", True),
    ("{{ range(100000)|list|length }}", 100000),
    ("{{ '%s'|format('ok') }}", "ok"),
    ("{{ '%(a)s' % {'a': json.count} }}", "1"),
    ("{{ '%s' % json.body }}", '{"title":"t"}'),
    ("{% set items = items + [3] %}{{ items|length }}", "3"),
    ("{{ json.list + [4] }}", [1, 2, 3, 4]),
    ("{{ ('x' * 1000000)|length }}", 1000000),
]


OK = "ok"  # evaluates (within the budget)
ANY = "any"  # evaluates or is refused with an ExpressionError; never past the budget

#: Every filter, test, method and operator on big values (multi-MB strings, long lists):
#: each is charged by what it processes before it runs, so the cheap ones go through and
#: the costly ones are refused with a limit error instead of stalling the server.
BIG_INPUTS = [
    # text filters
    ("{{ vars.amp|striptags|length }}", LIMIT),
    ("{{ vars.html|striptags|length }}", OK),
    ("{{ vars.amp|title|length }}", OK),
    ("{{ vars.words|title|length }}", LIMIT),
    ("{{ vars.html|title|length }}", OK),
    ("{{ vars.amp|wordcount }}", LIMIT),
    ("{{ vars.html|wordcount }}", OK),
    ("{{ vars.amp|upper|length }}", OK),
    ("{{ vars.amp|lower|length }}", OK),
    ("{{ vars.amp|capitalize|length }}", OK),
    ("{{ vars.amp|escape|length }}", LIMIT),  # 12 MB of '&amp;a'
    ("{{ vars.html|e|length }}", LIMIT),  # 5.4 MB escaped
    ("{{ vars.big|e|length }}", OK),
    ("{{ vars.amp|trim|length }}", OK),
    ("{{ vars.amp|truncate(10) }}", OK),
    ("{{ vars.big|center(4000010)|length }}", OK),
    ("{{ vars.big|center(6000000)|length }}", LIMIT),
    ("{{ vars.words|replace('a', 'bb')|length }}", LIMIT),
    ("{{ vars.amp|replace('&', '')|length }}", LIMIT),  # 2.45 M replacements at once
    ("{{ vars.html|replace('<', '[')|length }}", OK),
    ("{{ vars.lines|indent(2)|length }}", LIMIT),
    ("{{ vars.html|indent(2)|length }}", OK),
    ("{{ vars.words|wordwrap(10)|length }}", LIMIT),
    ("{{ vars.big|wordwrap(79)|length }}", LIMIT),
    ("{{ vars.big|urlencode|length }}", LIMIT),
    ("{{ vars.big|format|length }}", OK),
    ("{{ vars.big|filesizeformat }}", ANY),
    ("{{ vars.big|float }}", OK),
    ("{{ vars.big|int }}", OK),
    ("{{ vars.big|list|length }}", OK),
    ("{{ vars.big|reverse|length }}", OK),
    ("{{ vars.big|string|length }}", OK),
    ("{{ vars.html|urlize }}", ERROR),
    ("{{ {'a': vars.html}|xmlattr }}", ERROR),
    # list filters
    ("{{ vars.strs|join(',')|length }}", OK),
    ("{{ vars.nums|tojson|length }}", OK),
    ("{{ vars.strs|tojson(2)|length }}", OK),
    ("{{ vars.html|tojson|length }}", OK),
    ("{{ vars.nums|sort|length }}", LIMIT),
    ("{{ vars.strs|sort|length }}", LIMIT),
    ("{{ vars.nums|unique|list|length }}", LIMIT),  # operations
    ("{{ vars.strs[:100000]|unique|list|length }}", OK),
    ("{{ vars.nums|groupby('real')|list|length }}", LIMIT),
    ("{{ vars.nums|dictsort }}", ANY),
    ("{{ vars.nums|max }}", OK),
    ("{{ vars.nums|min }}", OK),
    ("{{ vars.nums|sum }}", LIMIT),
    ("{{ vars.nums|map('string')|list|length }}", LIMIT),
    ("{{ vars.nums|select('odd')|list|length }}", LIMIT),
    ("{{ vars.nums|batch(3)|list|length }}", OK),
    ("{{ vars.nums|batch(1)|list|length }}", LIMIT),
    ("{{ vars.nums|slice(3)|list|length }}", OK),
    ("{{ vars.nums|first }}{{ vars.nums|last }}{{ vars.nums|length }}", OK),
    # string methods
    ("{{ vars.words.split()|length }}", OK),
    ("{{ vars.amp.split('&')|length }}", OK),
    ("{{ vars.amp.split('&a')|length }}", LIMIT),
    ("{{ vars.lines.splitlines()|length }}", LIMIT),
    ("{{ vars.html.splitlines()|length }}", OK),
    ("{{ vars.amp.upper()|length }}", OK),
    ("{{ vars.amp.lower()|length }}", OK),
    ("{{ vars.html.title()|length }}", OK),
    ("{{ vars.html.swapcase()|length }}", OK),
    ("{{ vars.html.casefold()|length }}", OK),
    ("{{ vars.html.capitalize()|length }}", LIMIT),
    ("{{ vars.words.replace('a', 'bb')|length }}", LIMIT),
    ("{{ vars.html.replace('<', '[')|length }}", OK),
    ("{{ vars.html.islower() }}", LIMIT),
    ("{{ vars.big.count('x') }}", OK),
    ("{{ vars.big.strip()|length }}", OK),
    ("{{ vars.big.center(4000100)|length }}", OK),
    ("{{ ','.join(vars.strs)|length }}", OK),
    # operators
    ("{{ (vars.big ~ vars.big2)|length }}", LIMIT),
    ("{{ vars.big + vars.big2 }}", LIMIT),
    ("{{ (vars.big * 2)|length }}", LIMIT),
    ("{{ (vars.amp * 1)|length }}", OK),
    ("{{ vars.big[1:]|length }}", OK),
    ("{{ vars.big == vars.big2 }}", OK),
    ("{{ 'y' in vars.big }}", OK),
    ("{{ 499999 in vars.nums }}", OK),
    ("{{ (vars.nums + vars.nums)|length }}", OK),
    ("{{ ('%s' % vars.html)|length }}", OK),
    ("{{ ('%s%s' % (vars.big, vars.big))|length }}", LIMIT),
    # tests
    ("{{ vars.html is lower }}", LIMIT),
    ("{{ vars.big is string }}", OK),
    ("{{ vars.nums is sequence }}", OK),
]


def _run(source: str) -> tuple[Any, BaseException | None, Usage]:
    try:
        result, usage = measure(source, scope())
        error = None
    except ExpressionError as exc:
        result, error, usage = None, exc, exc.usage
    except Exception as exc:
        result, error, usage = None, exc, Usage()
    return result, error, usage


def _within_budget(usage: Usage) -> None:
    """What an evaluation was let to spend never exceeds its budget."""
    assert usage.work <= MAX_WORK
    assert usage.operations <= MAX_OPERATIONS
    assert usage.memory <= MAX_MEMORY
    assert usage.output <= MAX_OUTPUT_CHARS


@pytest.mark.parametrize(("source", "expected"), ESCAPES, ids=[s for s, _ in ESCAPES])
def test_sandbox_escapes_are_refused(source: str, expected: str) -> None:
    before_item, before_items = copy.deepcopy(ITEM), copy.deepcopy(ITEMS)
    result, error, usage = _run(source)
    _within_budget(usage)
    if expected == NOTHING:
        assert error is None
        assert result in (None, "")
    else:
        assert isinstance(error, ExpressionError), f"not refused: {source} gave {result!r}"
        message = str(error)
        assert "\n" not in message
        assert "0x" not in message.replace(source, "")  # no object addresses leak
    assert before_item == ITEM
    assert before_items == ITEMS


@pytest.mark.parametrize(("source", "expected"), BOMBS, ids=[s[:80] for s, _ in BOMBS])
def test_resource_bombs_are_refused_within_the_budget(source: str, expected: str) -> None:
    result, error, usage = _run(source)
    assert isinstance(error, ExpressionError), f"not refused: {source[:80]} gave {str(result)[:80]}"
    _within_budget(usage)
    if expected == LIMIT:
        assert isinstance(error, ExpressionLimitError), str(error)
        assert "limit exceeded" in error.message
        assert error.limit in ("work", "call", "operations", "memory", "size", "output",
                               "integer", "depth", "source", "range", "format")  # fmt: skip


@pytest.mark.parametrize(("source", "expected"), BIG_INPUTS, ids=[s for s, _ in BIG_INPUTS])
def test_big_inputs_are_charged_before_they_are_processed(source: str, expected: str) -> None:
    result, error, usage = _run(source)
    _within_budget(usage)
    if expected == OK:
        assert error is None, str(error)
        assert usage.work > 0 or usage.operations > 0  # charged
    elif expected == LIMIT:
        assert isinstance(error, ExpressionLimitError), f"not refused: {source} gave {result!r}"
        assert str(error).startswith(f"expression {source!r}: limit exceeded: ")
        if error.limit == "work":
            assert f"work budget of {MAX_WORK:,} units used up" in error.message
    elif expected == ERROR:
        assert isinstance(error, ExpressionError)
    else:
        assert error is None or isinstance(error, ExpressionError)


def test_every_filter_has_a_cost() -> None:
    from wirework.engine import expressions, exprlib

    costed = {name for names, _, _ in expr_filters._FILTER_COSTS for name in names}
    library = set(exprlib.sandbox_filters())  # each declares its cost in the registry
    assert not costed & library
    assert set(expressions._ENV.filters) == costed | library
    assert len(costed) == len([n for names, _, _ in expr_filters._FILTER_COSTS for n in names])


@pytest.mark.parametrize(("source", "expected"), HARMLESS, ids=[s for s, _ in HARMLESS])
def test_look_alikes_that_are_harmless_still_work(source: str, expected: Any) -> None:
    result, error, usage = _run(source)
    assert error is None, str(error)
    _within_budget(usage)
    assert result == expected


def test_the_corpus_is_large() -> None:
    assert len(ESCAPES) >= 40
    assert len(BOMBS) >= 40
    assert len(BIG_INPUTS) >= 60


@pytest.mark.parametrize(
    "source", [s for s, e in BOMBS + BIG_INPUTS if e == LIMIT and len(s) <= MAX_SOURCE_CHARS]
)
def test_checking_syntax_never_runs_anything(source: str) -> None:
    # every one of these exceeds a limit when run: checking them runs nothing, so passes
    assert check_syntax({"p": source}) == []


def test_output_just_under_the_cap_renders() -> None:
    size = MAX_OUTPUT_CHARS // 2
    text = evaluate("{{ vars.s }}{{ vars.s }}!", make_scope({}, vars={"s": "y" * size}))
    assert len(text) == 2 * size + 1


def test_a_limit_error_is_reported_as_such() -> None:
    with pytest.raises(ExpressionLimitError) as caught:
        evaluate("{{ 'a' * 10**10 }}", scope())
    assert str(caught.value) == (
        "expression \"{{ 'a' * 10**10 }}\": limit exceeded: "
        "a value of more than 5,000,000 characters or elements"
    )
