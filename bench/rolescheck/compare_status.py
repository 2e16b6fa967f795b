# Compares statuses per host and task, and the recaps: ansible (jl.py) vs remotectl -o jsonl.
import json,sys,collections,difflib
INC=('include_tasks','ansible.builtin.include_tasks','include_role','ansible.builtin.include_role','import_tasks','include_vars_NO')
def load(p, rc):
    per=collections.defaultdict(list);stats={};det={}
    for line in open(p):
        try: o=json.loads(line)
        except Exception: print(('RC' if rc else 'ANS')+' non-json:',line[:300].rstrip());continue
        if o['type']=='result':
            r=o['result'] if rc else o
            if r.get('loop_item'): continue
            if r.get('action') in INC: continue
            s=r['status']
            if s=='ignored' or (s=='failed' and r.get('ignored')): s='failed(ignored)'
            per[r['host']].append('%s => %s'%(r['task'],s))
            det[(r['host'],len(per[r['host']])-1)]=r
        elif o['type']=='summary':
            if rc:
                for x in o['recap']: stats[x['host']]=dict(x,failures=x['failed'])
            else: stats=o['recap']
    return per,stats,det
a,ast,ad=load(sys.argv[1],False);r,rst,rd=load(sys.argv[2],True)
for h in sorted(set(a)|set(r)):
    d=list(difflib.unified_diff(a.get(h,[]),r.get(h,[]),'ansible','remotectl',lineterm='',n=1))
    sa=ast.get(h,{});sr=rst.get(h,{})
    ka=' '.join('%s=%s'%(k,sa.get(k)) for k in ('ok','changed','failures','skipped','unreachable','ignored','rescued'))
    kr=' '.join('%s=%s'%(k,sr.get(k)) for k in ('ok','changed','failures','skipped','unreachable','ignored','rescued'))
    if not ast: # ansible-playbook stopped with ERROR! (no recap): the tasks up to there are compared
        print('##',h,'tasks same' if not d else 'TASKS DIFF','| ANSIBLE ABORTED (no recap), remotectl:',kr)
    else:
        print('##',h,'tasks same' if not d else 'TASKS DIFF','| recap', 'same: '+ka if ka==kr else 'DIFF\n  ans: '+ka+'\n  rc:  '+kr)
    if d: print('\n'.join(d))
