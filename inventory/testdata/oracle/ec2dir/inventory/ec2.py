#!/usr/bin/env python3
# A dynamic inventory in the style of the old ec2.py, configured by ec2.ini.
import json
import sys

if len(sys.argv) > 1 and sys.argv[1] == "--host":
    print("{}")
    sys.exit(0)
print(json.dumps({
    "tag_web": ["i-01", "i-02"],
    "aws_ec2": {"children": ["tag_web", "tag_db"], "vars": {"region": "eu-west-1", "ansible_user": "ec2-user"}},
    "tag_db": {"hosts": ["i-03"], "vars": {"engine": "postgres"}},
    "all": {"vars": {"from_script_all": 1, "region": "global"}},
    "ungrouped": ["i-09"],
    "empty_tag": {},
    "_meta": {"hostvars": {"i-01": {"ansible_host": "10.0.0.1", "private": True}, "i-02": {"ansible_host": "10.0.0.2"}}},
}))
