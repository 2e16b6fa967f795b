# A JSON-lines stdout callback for ansible-playbook: one object per task result, then the recap.
from ansible.plugins.callback import CallbackBase
import json, sys
class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'jl'
    def _emit(self, o):
        sys.stdout.write(json.dumps(o, default=str) + '\n'); sys.stdout.flush()
    def _res(self, result, status, **kw):
        r = result._result
        o = {'type': 'result', 'host': result._host.get_name(), 'task': result._task.get_name(),
             'action': result._task.action, 'status': status, 'msg': r.get('msg', ''),
             'handler': bool(getattr(result._task, '_role', None) and result._task.__class__.__name__ == 'Handler')}
        if 'results' in r: o['items'] = [{'changed': x.get('changed'), 'skipped': x.get('skipped'), 'failed': x.get('failed'), 'msg': x.get('msg', ''), 'diff': x.get('diff')} for x in r['results'] if isinstance(x, dict)]
        o['diff'] = r.get('diff')
        o.update(kw); self._emit(o)
    def v2_runner_on_ok(self, result):
        self._res(result, 'changed' if result._result.get('changed') else 'ok')
    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._res(result, 'failed(ignored)' if ignore_errors else 'failed')
    def v2_runner_on_skipped(self, result):
        self._res(result, 'skipped')
    def v2_runner_on_unreachable(self, result):
        self._res(result, 'unreachable')
    def v2_playbook_on_stats(self, stats):
        rec = {}
        for h in sorted(stats.processed.keys()):
            rec[h] = stats.summarize(h)
        self._emit({'type': 'summary', 'recap': rec})
