#!/bin/sh
# An old-style dynamic inventory: no _meta, so it is asked --host NAME.
case "$1" in
--list) echo '{"legacy": {"hosts": ["l1", "l2"], "vars": {"ansible_group_priority": 3, "kind": "legacy"}}}' ;;
--host) if [ "$2" = l1 ]; then echo '{"ansible_port": 2201, "kind": "l1"}'; else echo '{}'; fi ;;
esac
