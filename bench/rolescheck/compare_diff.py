# Compares the diffs of the first host's tasks: ansible (jl.py) vs remotectl -o jsonl.
import json,sys
a=[json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
r=[json.loads(l)['result'] for l in open(sys.argv[2]) if l.startswith('{"type":"result"')]
ad={}
for x in a:
    if x['type']=='result': ad.setdefault((x['host'],x['task']),x)
def norm(d):
    if d is None: return None
    if isinstance(d,dict): d=[d]
    out=[]
    for e in d:
        e={k:v for k,v in e.items() if k not in ('before_header','after_header')}
        if e: out.append(e)
    return out or None
for x in r:
    if x.get('loop_item'): continue
    k=(x['host'],x['task'])
    if k[0]!='127.1.0.1' or k not in ad: continue
    A=norm(ad[k].get('diff')); R=norm(x.get('diff'))
    if A!=R:
        print('== DIFF differs:',k[1])
        print(' ANS:',json.dumps(A)[:800]); print(' RC :',json.dumps(R)[:800])
