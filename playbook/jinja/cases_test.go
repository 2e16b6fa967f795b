package jinja

import "strings"

// oracleVars are the variables every case sees, given to ansible-playbook
// as play vars.
func oracleVars() map[string]any {
	return map[string]any{
		"num": 42, "neg": -3, "flt": 3.5, "str": "Hello World", "yes_str": "yes", "off_str": "off",
		"t": true, "f": false, "nothing": nil, "empty": "", "zero": 0,
		"lst": []any{3, 1, 2, 3}, "words": []any{"b", "A", "c", "a"},
		"nested": []any{1, []any{2, []any{3, nil}}, "None"},
		"dct":    map[string]any{"a": 1, "b": "two", "c": []any{1, 2}},
		"d2":     map[string]any{"b": "three", "c": []any{3}, "d": map[string]any{"x": 1}},
		"deep1":  map[string]any{"l": []any{1}, "m": map[string]any{"x": 1, "y": 2}},
		"deep2":  map[string]any{"l": []any{2}, "m": map[string]any{"y": 3, "z": 4}},
		"users": []any{
			map[string]any{"admin": true, "name": "alice", "shell": "/bin/bash", "uid": 1001},
			map[string]any{"admin": false, "name": "bob", "shell": "/bin/sh", "uid": 1002},
			map[string]any{"admin": true, "name": "carol", "shell": "/bin/bash", "uid": 1000},
		},
		"kv":         []any{map[string]any{"key": "k1", "value": "v1"}, map[string]any{"key": "k2", "value": 2}},
		"path":       "/etc/nginx/nginx.conf",
		"dirpath":    "/var/log/",
		"lazy":       "{{ str }}!",
		"lazy2":      "{{ lazy }}?",
		"lazy_list":  []any{"{{ num }}", "x"},
		"lazy_dict":  map[string]any{"k": "{{ num + 1 }}"},
		"lazy_undef": "{{ missing_var }}",
		"rec_a":      "{{ rec_b }}",
		"rec_b":      "{{ rec_a }}",
		"json_str":   `{"a": 1, "b": [true, null], "c": "x"}`,
		"yaml_str":   "a: yes\nb: [1, 2]\nc: 010\nd: off\ne: 1.5\nf: ~\n",
		"ok_result":  map[string]any{"changed": true, "failed": false, "rc": 0},
		"bad_result": map[string]any{"failed": true, "rc": 2, "msg": "boom"},
		"skip_res":   map[string]any{"skipped": true, "changed": false},
		"loop_res":   map[string]any{"results": []any{map[string]any{"changed": false}, map[string]any{"changed": true}}},
		"ver":        "2.14.18",
		"csv":        "a,b,,c",
		"spaced":     "  padded  ",
		"quote_me":   "it's a test",
		"list_str":   "[1, 2]",
		"true_str":   "True",
		"num_str":    "42",
		"hex_str":    "0x10",
		"float_str":  "2.75",
		"unicode":    "héllo wörld",
		"multi":      "line1\nline2\n",
		"members": []any{
			map[string]any{"name": "a", "groups": []any{"x", "y"}},
			map[string]any{"name": "b", "groups": []any{"z"}, "extra": map[string]any{"keys": []any{"k"}}},
		},
	}
}

// oracleCases is the table rendered by the engine and by ansible-playbook.
// A line is a template (the msg of a debug task) or, after "when: ", a
// conditional (the when of a task).
var oracleCases = append(oracleCasesBase, oracleCasesMore...)

var oracleCasesBase = append(strings.Split(strings.TrimSpace(`
{{ num }}
{{ neg }}
{{ flt }}
{{ str }}
{{ t }}
{{ f }}
{{ nothing }}
{{ empty }}
{{ lst }}
{{ dct }}
{{ users[0] }}
{{ users[1].name }}
{{ dct['b'] }}
{{ dct.c[1] }}
n={{ num }}
{{ lst }} and {{ num }}
{{ t }}{{ f }}
[{{ num }}, {{ neg }}]
{{ '{' }}'a': {{ num }}}
{{ list_str }}
{{ true_str }}
{{ num_str }}
{{ 1 + 2 }}
{{ 7 / 2 }}
{{ 7 // 2 }}
{{ 2 ** 10 }}
{{ 'a' ~ num }}
{{ [1, 2] + [3] }}
{{ none }}
{{ undefined_var }}
x {{ undefined_var }}
{{ dct.nope }}
{{ users[5] }}
{{ undefined_var | default('fallback') }}
{{ undefined_var | d('short') }}
{{ nothing | default('not used for None') }}
{{ empty | default('falsy', true) }}
{{ empty | default('falsy', boolean=True) }}
{{ dct.nope | default(7) }}
{{ undefined_var.attr | default('chain') }}
{{ undefined_var is defined }}
{{ undefined_var is undefined }}
{{ num is defined }}
{{ nothing is defined }}
{{ nothing is none }}
{{ num is none }}
{{ dct.nope is defined }}
{{ lazy }}
{{ lazy2 }}
{{ lazy_list }}
{{ lazy_dict }}
{{ lazy_dict.k }}
{{ lazy_undef }}
{{ lazy_undef | default('rescued') }}
{{ rec_a }}
{{ undefined_var | mandatory }}
{{ num | mandatory }}
{{ 'yes' | bool }}
{{ 'no' | bool }}
{{ 'True' | bool }}
{{ 'on' | bool }}
{{ 'off' | bool }}
{{ '1' | bool }}
{{ 1 | bool }}
{{ 0 | bool }}
{{ 'y' | bool }}
{{ nothing | bool }}
{{ yes_str | bool }}
{{ '42' | int }}
{{ '0x10' | int }}
{{ '0x10' | int(base=16) }}
{{ '3.9' | int }}
{{ 'abc' | int }}
{{ 'abc' | int(5) }}
{{ ' 12 ' | int }}
{{ true | int }}
{{ 3.99 | int }}
{{ '2.75' | float }}
{{ 'x' | float }}
{{ 1 | float }}
{{ '1e3' | float }}
{{ num | string }}
{{ lst | string }}
{{ t | string }}
{{ str | length }}
{{ lst | length }}
{{ dct | length }}
{{ unicode | length }}
{{ lst | count }}
{{ str | lower }}
{{ str | upper }}
{{ spaced | trim }}
[{{ spaced | trim }}]
{{ str | replace('World', 'There') }}
{{ 'aaa' | replace('a', 'b', 2) }}
{{ str | regex_replace('o', '0') }}
{{ str | regex_replace('(\\w+) (\\w+)', '\\2 \\1') }}
{{ str | regex_replace('^(?P<first>\\w+).*$', '\\g<first>!') }}
{{ str | regex_replace('WORLD', 'you', ignorecase=True) }}
{{ 'a.b.c' | regex_replace('\\.', '/') }}
{{ 'abc' | regex_replace('(?<=a)b', 'X') }}
{{ str | regex_search('W\\w+') }}
{{ str | regex_search('(\\w+) (\\w+)', '\\2') }}
{{ str | regex_search('(?P<x>o\\w)', '\\g<x>') }}
{{ str | regex_search('zzz') }}
{{ str | regex_search('hello', ignorecase=True) }}
{{ 'a1b22c333' | regex_findall('\\d+') }}
{{ 'k1=v1 k2=v2' | regex_findall('(\\w+)=(\\w+)') }}
{{ 'ab ac ad' | regex_findall('a(\\w)') }}
{{ 'L1\nL2' | regex_findall('^L\\d$', multiline=True) }}
{{ words | join(',') }}
{{ lst | join }}
{{ users | map(attribute='name') | join(', ') }}
{{ csv | split(',') }}
{{ 'a b  c' | split }}
{{ csv.split(',') }}
{{ lst | first }}
{{ lst | last }}
{{ str | first }}
{{ [] | first | default('none') }}
{{ lst | unique }}
{{ words | unique }}
{{ lst | union([4, 1]) }}
{{ lst | difference([3]) }}
{{ lst | intersect([2, 3, 9]) }}
{{ nested | flatten }}
{{ nested | flatten(levels=1) }}
{{ nested | flatten(skip_nulls=False) }}
{{ users | map(attribute='uid') | list }}
{{ words | map('upper') | list }}
{{ lst | map('string') | list }}
{{ lst | select('odd') | list }}
{{ lst | reject('odd') | list }}
{{ lst | select('gt', 1) | list }}
{{ users | selectattr('admin') | map(attribute='name') | list }}
{{ users | rejectattr('admin') | map(attribute='name') | list }}
{{ users | selectattr('uid', 'gt', 1000) | map(attribute='name') | list }}
{{ users | selectattr('shell', 'equalto', '/bin/sh') | map(attribute='name') | list }}
{{ users | selectattr('name', 'in', ['bob', 'carol']) | map(attribute='uid') | list }}
{{ users | selectattr('name', 'match', 'c') | map(attribute='uid') | list }}
{{ lst | sort }}
{{ lst | sort(reverse=true) }}
{{ words | sort }}
{{ words | sort(case_sensitive=true) }}
{{ users | sort(attribute='uid') | map(attribute='name') | list }}
{{ dct | dict2items }}
{{ dct | dict2items(key_name='k', value_name='v') }}
{{ kv | items2dict }}
{{ [{'n': 'a', 'v': 1}] | items2dict(key_name='n', value_name='v') }}
{{ dct | combine(d2) }}
{{ deep1 | combine(deep2) }}
{{ deep1 | combine(deep2, recursive=True) }}
{{ deep1 | combine(deep2, list_merge='append') }}
{{ dct | combine({'a': 9}, {'z': 0}) }}
{{ dct | to_json }}
{{ lst | to_json }}
{{ 'x' | to_json }}
{{ unicode | to_json }}
{{ users[0] | to_json }}
{{ {'a': [1, 2], 'b': none} | to_json }}
{{ dct | to_nice_json }}
{{ [] | to_nice_json }}
{{ json_str | from_json }}
{{ (json_str | from_json).b }}
{{ dct | to_yaml }}
{{ users | to_yaml }}
{{ 'yes' | to_yaml }}
{{ dct | to_nice_yaml }}
{{ users | to_nice_yaml }}
{{ d2 | to_nice_yaml(indent=2) }}
{{ {'k': 'a: b', 'n': '123', 'o': 'off', 'e': ''} | to_nice_yaml }}
{{ yaml_str | from_yaml }}
{{ 'hello' | b64encode }}
{{ 'aGVsbG8=' | b64decode }}
{{ unicode | b64encode }}
{{ path | basename }}
{{ path | dirname }}
{{ dirpath | basename }}
{{ dirpath | dirname }}
{{ 'file' | dirname }}
{{ ('~/x' | expanduser).endswith('/x') and not ('~/x' | expanduser).startswith('~') }}
{{ 'a/~' | expanduser }}
{{ quote_me | quote }}
{{ 'safe-word_1.2' | quote }}
{{ '' | quote }}
{{ 'a b' | quote }}
{{ t | ternary('on', 'off') }}
{{ f | ternary('on', 'off') }}
{{ nothing | ternary('on', 'off', 'null') }}
{{ 'secret' | password_hash('sha512', 'saltsalt') }}
{{ 'secret' | password_hash('sha512', 'saltsalt', rounds=10000) }}
{{ 'secret' | password_hash('sha256', 'saltsalt') }}
{{ 'text' | hash('sha1') }}
{{ 'text' | hash('md5') }}
{{ 'text' | hash('sha256') }}
{{ 'text' | hash }}
{{ 'text' | checksum }}
{{ ver is version('2.14', '>=') }}
{{ ver is version('2.9', '<') }}
{{ '1.2.10' is version('1.2.9', '>') }}
{{ '1.0' is version('1.0.0', '==') }}
{{ ver is version('2.15', operator='lt') }}
{{ '1.0a1' is version('1.0', '<', strict=True) }}
{{ '1.0-rc1' is version('1.0.1', 'lt') }}
{{ ver is version_compare('2.14.18', 'eq') }}
{{ ok_result is succeeded }}
{{ ok_result is success }}
{{ ok_result is failed }}
{{ bad_result is failed }}
{{ bad_result is succeeded }}
{{ ok_result is changed }}
{{ skip_res is skipped }}
{{ skip_res is changed }}
{{ loop_res is changed }}
{{ 'x' is failed }}
{{ str is match('Hello') }}
{{ str is match('World') }}
{{ str is search('World') }}
{{ str is search('world', ignorecase=True) }}
{{ str is regex('^H.*d$') }}
{{ 2 is in(lst) }}
{{ 9 is in(lst) }}
{{ 'ell' in str }}
{{ 'a' in dct }}
{{ 5 in lst }}
{{ '/' is directory }}
{{ '/' is file }}
{{ '/nonexistent/path' is file }}
{{ 'x' is truthy }}
{{ '' is truthy }}
{{ 'no' is truthy(convert_bool=True) }}
{{ 'no' is truthy }}
{{ lst is iterable }}
{{ num is number }}
{{ str is string }}
{{ dct is mapping }}
{{ lst is sequence }}
{{ num is divisibleby(7) }}
{% if num > 40 %}big{% else %}small{% endif %}
{% for u in users %}{{ u.name }}{% if not loop.last %},{% endif %}{% endfor %}
{% for k, v in dct.items() %}{{ k }}={{ v }};{% endfor %}
{% set x = num * 2 %}{{ x }}
{{ 'yes' if t else 'no' }}
{{ str[0:5] }}
{{ str.startswith('Hell') }}
{{ str.split()[1] }}
{{ dct.keys() | list | sort }}
{{ range(3) | list }}
{{ lst | max }}
{{ lst | min }}
{{ lst | sum }}
{{ words | reverse | list }}
{{ str | title }}
{{ 'x' * 3 }}
{{ num // 5 }}
{{ (flt * 2) | int }}
{{ users | length > 2 }}
{{ multi }}
{{ multi | trim }}
{{ 'Hello' ~ ' ' ~ 'you' }}
{{ dct | dictsort }}
{{ num | abs }}
{{ neg | abs }}
{{ flt | round }}
{{ 3.14159 | round(2) }}
{{ lst | batch(2) | list }}
{{ users | groupby('shell') | map('first') | list }}
{{ str | center(15) }}
{{ str | truncate(8) }}
{{ str | wordcount }}
{{ 'a,b' is search(',') }}
{{ nothing | default('x', true) }}
{{ }}
{{ num | nonexistent_filter }}
{% if %}
{{ str | regex_replace('(\w+) (\w+)', '\2 \1') }}
{{ str | regex_replace('^(?P<first>\w+).*$', '\g<first>!') }}
{{ 'a.b.c' | regex_replace('\.', '/') }}
{{ 'x1y2' | regex_replace('\d', '') }}
{{ 'path/to/file.txt' | regex_replace('\.txt$', '.bak') }}
{{ str | regex_search('W\w+') }}
{{ str | regex_search('(\w+) (\w+)', '\2') }}
{{ str | regex_search('(?P<x>o\w)', '\g<x>') }}
{{ 'abc' | regex_search('(b)(c)', '\1', '\2') }}
{{ 'a1b22c333' | regex_findall('\d+') }}
{{ 'k1=v1 k2=v2' | regex_findall('(\w+)=(\w+)') }}
{{ 'ab ac ad' | regex_findall('a(\w)') }}
{{ 'foo123' is match('\w+\d+$') }}
{{ 'a(b' | regex_replace('(', 'x') }}
{{ 'aaa' | regex_replace('a', 'b', count=1) }}
{{ 'x\ty' }}
{{ lst[0] }}
{{ lst[-1] }}
{{ str[::-1] }}
{{ dct.get('z', 'dflt') }}
{{ dct | dict2items | items2dict }}
{{ users | map(attribute='name') | map('upper') | list }}
{{ users | map(attribute='nope') | list }}
{{ users | selectattr('nope', 'defined') | list }}
{{ lst | map('int') | sum }}
{{ ['1', '2'] | map('int') | list }}
{{ words | map('regex_replace', '^', 'x-') | list }}
{{ lst | select('in', [1, 2]) | list }}
{{ lst | select('equalto', 3) | list | length }}
{{ lst | reject('equalto', 3) | list }}
{{ 1 / 0 }}
{{ 'a' + 1 }}
{{ num + 'a' }}
{{ lst + 'a' }}
{{ num > 40 and num < 50 }}
{{ not t }}
{{ num == 42.0 }}
{{ '42' == 42 }}
{{ [1, 2] == [1, 2] }}
{{ {'b': 1, 'a': 2} }}
{{ {'k': "it's"} }}
x{{ {'k': "it's"} }}
{{ ['it\'s'] }}
items: {{ words }}
{{ dct.c }}
{{ dct.c | first }}
{{ 'abc' | first }}
{{ 'abc' | last }}
{{ 3.0 }}
{{ 1e20 }}
{{ 0.0001 }}
{{ 10 / 4 }}
{{ -7 // 2 }}
{{ 7 % 3 }}
{{ num | string | length }}
{{ flt | int + 1 }}
{{ '%s-%s' | format('a', 'b') }}
{{ '%5.2f|%-4d|%x|%r' | format(3.14159, 7, 255, 'q') }}
{{ {'text': 'word ' * 30, 'short': 'x'} | to_nice_yaml }}
{{ ['word ' * 25] | to_yaml }}
{{ {'a': {'b': ['long words ' * 9, 'x']}} | to_nice_yaml }}
{{ {'a': {'b': 'plain words ' * 9}} | to_yaml }}
{{ ('it''s ' * 20) | to_yaml }}
{{ ("it's " * 20) | to_yaml }}
{{ 'Hello %s' % 'you' }}
{{ 'a,b' | split(',') | list }}
{{ users | map(attribute='uid') | max }}
{{ users | json_query('[0]') }}
{{ nested | flatten | unique }}
{{ [[1, 2], [3]] | flatten(1) }}
{{ [1, [2, [3]]] | flatten }}
{{ [3, 1] | union([1, 4]) | sort }}
{{ ['a', 'B'] | unique }}
{{ ['a', 'A'] | unique(case_sensitive=True) }}
{{ users | unique(attribute='shell') | map(attribute='name') | list }}
{{ dct | combine(d2, list_merge='prepend') }}
{{ {'a': {'b': 1}} | combine({'a': {'c': 2}}, recursive=true) }}
{{ [{'a': 1}, {'b': 2}] | combine }}
{{ 'x' | combine({'a': 1}) }}
{{ 123 | dict2items }}
{{ {'a': 1} | to_json(indent=2) }}
{{ {'a': 'é'} | to_nice_json }}
{{ {'a': 1.0, 'b': 1e-7} | to_json }}
{{ {'s': 'a "q"', 'n': none} | to_json }}
{{ 'not json' | from_json }}
{{ '[1, 2.5, "x"]' | from_json }}
{{ {'a': {'b': [1, {'c': 'd'}]}} | to_nice_yaml }}
{{ {'a': {'b': [1, {'c': 'd'}]}} | to_yaml }}
{{ [[1, 2], [3]] | to_nice_yaml }}
{{ {'k': 'yes', 'v': '1.0', 'w': 'x: y', 'z': '#c', 'q': "it's"} | to_yaml }}
{{ {'e': [], 'f': {}} | to_nice_yaml }}
{{ 'a: [1, 2]' | from_yaml }}
{{ '- on\n- 0x1F\n- 1_000\n- 2001-01-01' | from_yaml }}
{{ 'cGFzcw' | b64decode }}
{{ '/a/b/' | basename }}
{{ '/' | dirname }}
{{ 'a b' | quote }}
{{ "a'b" | quote }}
{{ nothing | ternary('y', 'n') }}
{{ '' | ternary('y', 'n') }}
{{ 'pw' | password_hash('sha512', 'a_long_salt_value_over_16') }}
{{ 'pw' | password_hash('md5', 'salt') }}
{{ 'text' | hash('blake2b') }}
{{ '2.0' is version('10.0', '<') }}
{{ '1.0' is version('1.0', 'bogus') }}
{{ 'x' is version('1', '>') }}
{{ '1.0.0' is version('1.0', '>', strict=True) }}
{{ 'abc' is match('b') }}
{{ 'abc' is search('B', ignorecase=true) }}
{{ undefined_var is failed }}
{{ ok_result is not failed }}
{{ 0 is truthy }}
{{ 'yes' is falsy(convert_bool=True) }}
{{ {'a': 1} is truthy }}
{% raw %}{{ literal }}{% endraw %}
{{ '{{' }} x }}
{% for i in range(3) %}{{ i }}{% endfor %}
{% for i in lst if i > 1 %}{{ i }}{% endfor %}
{% for x in undefined_var %}{{ x }}{% endfor %}
{{ lst | join(undefined_var) }}
{{ lazy_dict }} and {{ lazy }}
{{ num is defined and num is number }}
{{ dct.b is defined }}
{{ users[0]['name'] }}
{{ users | first | dict2items | length }}
{{ num | default(undefined_var) }}
{{ undefined_var | default(num) }}
{{ undefined_var | default(undefined_other) }}
{{ lazy_undef is defined }}
{{ (lst | length) * 2 }}
{{ str | lower | replace(' ', '_') | upper }}
{{ num ~ '' }}
{{ t and 'yes' or 'no' }}
when: num == '42'
when: num | int == 42
when: num_str == 42
when: num_str | int == 42
when: lst
when: dct.a
when: dct.nope
when: dct.nope is defined
when: zero
when: flt > 3
when: 'yes'
when: 'false'
when: true_str
when: nothing is none
when: lazy2 is defined
when: lazy_undef is defined
when: ok_result.rc == 0 and ok_result is not failed
when: 1 == 1 and
when: {{ undefined_var }}
when: {{ f }}
when: {{ lst }}
when: {{ empty }}
when: str | regex_search('World')
when: str | regex_search('zzz')
when: (str | length) > 5
when: num == 42
when: str is search('W\w+')
when: 'a.b' is match('a\.b')
when: 'axb' is match('a\.b')
{{ 'x\\' }}
{{ 'C:\temp' }}
{{ 'tab\there' }}
when: num == 42
when: num > 100
when: t
when: f
when: yes_str
when: yes_str | bool
when: off_str | bool
when: nothing
when: undefined_var
when: undefined_var is defined
when: undefined_var is not defined
when: num is defined and num > 40
when: lst | length == 4
when: 'World' in str
when: str is search('Hello')
when: {{ t }}
when: {{ num == 42 }}
when: ok_result is changed
when: bad_result is failed
when: ver is version('2.10', '>=')
when: dct.a == 1 or dct.b == 'x'
when: not f
when: lazy == 'Hello World!'
when: empty
when: users | selectattr('admin') | list | length == 2
`), "\n"),
	// Template files (the template module): trim_blocks, whitespace
	// control, trailing newlines, no backslash escaping.
	"file: line1\n{% for u in users %}\n{{ u.name }}\n{% endfor %}\nend\n",
	"file: {%- if t %}\n  yes\n{%- endif %}\nafter\n",
	"file: {# comment #}\nkey={{ num }}\n\n",
	"file:   {% if t %}x{% endif %}  \n",
	"file: {% for k, v in dct.items() %}{{ k }}: {{ v }}\n{% endfor %}",
	"file: {{ users | map(attribute='name') | join('\\n') }}\n",
	"file: {% raw %}{{ x }}{% endraw %}\n",
	"file: {% macro m(a) %}<{{ a }}>{% endmacro %}{{ m(1) }}{{ m('b') }}\n",
	"file: {{ str | regex_replace('\\s', '_') }} {{ lst }} {{ dct }} {{ nothing }} {{ t }}\n",
	"file: {% for u in users if u.admin %}{{ loop.index }}={{ u.name }}{{ ',' if not loop.last }}{% endfor %}\n",
	"file: {% set total = lst | sum %}total={{ total }}\n",
	"file: {{ missing_in_file }}\n",
	// Expressions over several lines, as YAML block scalars give them.
	"{{ [num,\n  neg] }}", "{{ num == 42 and\n t }}", "when: num == 42 and\n  t\n", "when: (lst | length)\n  > 3", "x\n{{ num }}\n",
	// Template files as real roles write them: conditions over several
	// lines, trailing newlines after a value that ends with one, comment.
	"file: {% if t and\n  num == 42 %}\nyes\n{% endif %}\n",
	"file: {% if (num == 42 and\n  t) or\n  f %}\nok\n{% endif %}\nend\n",
	"file: {{ multi }}\n\n",
	"file: {{ multi }}",
	"file: a\n{% if f %}\nb\n{% endif %}\n\n\n",
	"file: {{ 'managed' | comment }}\nkey=1\n",
	"file: {% for u in users %}\n{% if u.admin %}\n{{ u.name }}\n{% endif %}\n{% endfor %}\n",
	"{{ str }}\n", "{{ multi }}\n", "{{ lst }}\n",
	"file: {% set a, b = [1, 2] %}{{ a }}-{{ b }}\n{%- set k, v = (dct | dictsort)[0] -%}\n{{ k }}={{ v }}\n")

// oracleCasesMore are the filters and tests added for real roles:
// core.py, mathstuff.py, urls.py, urlsplit.py, files.py, uri.py.
var oracleCasesMore = strings.Split(strings.TrimSpace(`
{{ 'hello\nworld' | comment }}
{{ 'a' | comment('c') }}
{{ 'x\ny' | comment('cblock') }}
{{ 'x' | comment('xml') }}
{{ 'x' | comment('erlang') }}
{{ 'x' | comment(decoration='; ', prefix_count=2) }}
{{ 'x\n\ny' | comment('plain', prefix='', postfix='') }}
{{ 'a.b*c[d] e-f_g' | regex_escape }}
{{ 'a.b*c^$' | regex_escape('posix_basic') }}
{{ 'a' | regex_escape('posix_extended') }}
{{ ['/etc', 'nginx', 'x.conf'] | path_join }}
{{ ['a', '/b', 'c'] | path_join }}
{{ ['a/', 'b'] | path_join }}
{{ 'a/b.tar.gz' | splitext | first }} {{ ('a/b.tar.gz' | splitext)[1] }}
{{ '.bashrc' | splitext | last }}|
{{ 'a.d/b' | splitext | list }}
{{ '/a/b/../c' | relpath('/a') }}
{{ '/tmp/../etc' | realpath }}
{{ 'abc' | md5 }}
{{ 'abc' | sha1 }}
{{ 'example.com' | to_uuid }}
{{ 'x' | to_uuid(namespace='6ba7b810-9dad-11d1-80b4-00c04fd430c8') }}
{{ 100 | log(10) }}
{{ 8 | log(2) }}
{{ 2 | pow(10) }}
{{ 81 | root }}
{{ 27 | root(3) }}
{{ 1024 | human_readable }}
{{ 1536000 | human_readable }}
{{ 10 | human_readable(isbits=True) }}
{{ 1048576 | human_readable(unit='K') }}
{{ 500 | human_readable }}
{{ '1K' | human_to_bytes }}
{{ '2.5 MB' | human_to_bytes }}
{{ '1Mb' | human_to_bytes(isbits=True) }}
{{ '10' | human_to_bytes('M') }}
{{ '1Mb' | human_to_bytes }}
{{ users | rekey_on_member('name') }}
{{ [1, 2, 3] | symmetric_difference([2, 3, 4]) }}
{{ [1, 2, 3] | zip(['a', 'b']) | list }}
{{ [1, 2] | zip_longest(['a'], fillvalue='-') | list }}
{{ [1, 2] | product(['a', 'b']) | list }}
{{ [1, 2] | product(repeat=2) | list }}
{{ [1, 2, 3] | combinations(2) | list }}
{{ [1, 2, 3] | permutations(2) | list }}
{{ [1, 2, 3] | permutations | list }}
{{ members | subelements('groups') }}
{{ members | subelements('extra.keys', skip_missing=True) }}
{{ members | subelements('nope') }}
{{ ['a', 'b'] | map('extract', dct) | list }}
{{ 0 | extract(users, 'name') }}
{{ 'a: 1\n---\nb: [2]' | from_yaml_all | list }}
{{ 'a%20b%2Fc+d' | urldecode }}
{{ 'https://user:pw@www.Example.com:8080/p/a?q=1#frag' | urlsplit }}
{{ 'https://www.example.com/p' | urlsplit('hostname') }}
{{ 'http://example.com' | urlsplit('port') }}
{{ 'C:/Users/x/f.txt' | win_basename }}
{{ 'C:/Users/x/f.txt' | win_dirname }}
{{ 'C:/Users/x/f.txt' | win_splitdrive | first }}
{{ 'C:/Users/x/f.txt' | win_splitdrive }}
{{ '%Y-%m-%d %H:%M:%S %a %A %b %B %j %p %I %y %e %u %w %U %W %V %G %C %s %%' | strftime(1700000000, utc=true) }}
{{ '%c|%x|%X|%D|%F|%T|%R|%h|%k|%l|%g|%Z' | strftime(second=86399.9, utc=true) }}
{{ '%F' | strftime(second='1234567890', utc=true) }}
{{ '%d' | strftime(second='soon') }}
{{ ('%Y' | strftime | int) > 2020 }}
{{ dct['zz'] | default('d2') }}
{{ dct[str] | default('by var') }}
{{ d2[dct['b']] | default(d2['d']['x']) }}
{{ d2['d'][ver] | default('deep') }}
{{ dct['zz'] }}
when: dct['zz'] is defined
when: dct['zz'] is not defined and d2['d']['x'] == 1
{{ {'b': 1, 'a': 2, 'C': 0} | dictsort(by='value') }}
{{ {'b': 1, 'a': 2, 'C': 0} | dictsort }}
{{ {'b': 1, 'a': 2, 'C': 0} | dictsort(true, reverse=true) }}
{{ 100 | random(seed='web01') }}
{{ 59 | random(seed=str) }}
{{ 10000000000 | random(seed='a') }}
{{ 50 | random(start=1, step=7, seed=42) }}
{{ [1, 2, 3, 4, 5] | random(seed='x') }}
{{ 'abcdef' | shuffle(seed='host1') | join }}
{{ [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] | shuffle(seed=42) }}
{{ 5 | random(seed=1.5) }}
when: [1, true] is all
when: [0, ''] is any
when: [1, 2] is subset([1, 2, 3])
when: [1, 2, 3] is superset([1])
when: lst is issubset([1])
when: '/etc' is abs
when: 'etc' is is_abs
when: flt is nan
when: '/' is mount
when: '/etc' is is_mount
when: '/etc/hostname' is is_file
when: '/etc' is is_dir
when: '/etc/nonexistent' is link_exists
when: '/etc' is same_file('/etc/../etc')
when: ok_result is finished
when: {'finished': 0} is finished
when: {'started': 1} is started
when: 'https://x.org/a' is url
when: 'urn:isbn:123' is urn
when: 'mailto:x@y' is url
when: 'http://x' is uri(['https'])
when: 'x' is uri
{% set l = [] %}{% for i in lst %}{% set _ = l.append(i * 2) %}{% endfor %}{{ l }}
{% set l = [] %}{% for i in lst %}{{ l.append(i) }}{% endfor %}{{ l | join(',') }}
{% set l = [1] %}{% set _ = l.extend([3, 4]) %}{% set _ = l.insert(-1, 0) %}{{ l }} {{ l.pop() }} {{ l.pop(0) }} {{ l }}
{% set l = [3, 1, 2] %}{% set _ = l.sort() %}{{ l }} {{ l.index(2) }} {{ l.count(3) }}{% set _ = l.sort(reverse=true) %} {{ l }}
{% set l = [1, 2, 1] %}{% set _ = l.remove(1) %}{% set _ = l.reverse() %}{% set c = l.copy() %}{% set _ = c.clear() %}{{ l }} {{ c }}
{% set l = [] %}{% set _ = l.append([1]) %}{% set _ = l[0].append(2) %}{{ l }}
{% set g = {} %}{% for h in ['a:x', 'b:y', 'c:x'] %}{% set _ = g.setdefault(h[2], []).append(h[0]) %}{% endfor %}{{ g }}
{% set g = {} %}{% for h in ['a:x', 'b:y'] %}{% set _ = g.update({h[2]: []}) %}{% set _ = g[h[2]].append(h[0]) %}{% endfor %}{{ g }}
{% set d = {'a': [], 'b': [[0]]} %}{% set _ = d.a.append(1) %}{% set _ = d['b'][0].append(2) %}{{ d }}
{% set l = [1, 2] %}{{ l is sequence }} {{ l | length }} {{ l + [3] }} {{ l == [1, 2] }} {{ 2 in l }} {{ l | to_json }} {{ l[1:] }}
{% set ns = namespace(items=[]) %}{% for x in [1, 2] %}{% set ns.items = ns.items + [x] %}{% endfor %}{{ ns.items }}
{{ [1, 2].pop(5) }}
{{ [].pop() }}
{{ [1].remove(2) }}
`), "\n")
