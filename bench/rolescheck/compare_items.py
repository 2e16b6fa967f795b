# Compares the loop items' statuses of the first host: ansible (jl.py) vs remotectl -o jsonl.
import json,sys,collections
a=[json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
r=[json.loads(l)['result'] for l in open(sys.argv[2]) if l.startswith('{"type":"result"')]
def st(x):
    return 'failed' if x.get('failed') else 'skipped' if x.get('skipped') else 'changed' if x.get('changed') else 'ok'
ai={}
for x in a:
    if x['type']=='result' and 'items' in x: ai.setdefault((x['host'],x['task']),[]).extend(st(i) for i in x['items'])
ri=collections.defaultdict(list)
for x in r:
    if x.get('loop_item'): ri[(x['host'],x['task'])].append(x['status'])
for k in sorted(set(ai)|set(ri)):
    if k[0]!='127.1.0.1': continue
    if ai.get(k,[])!=ri.get(k,[]): print('  ',k[1],'ANS',ai.get(k),'RC',ri.get(k))
