#!/usr/bin/python3
"""Drive a WS-Management endpoint with pywinrm (Debian's python3-winrm).

The remotetest WS-Management server's fidelity tests run this script to prove
the server answers as Windows does: a real WinRM client must work against it
unchanged. The script only observes; the Go test decides what is right.

Usage: wsman_client.py CONFIG.json

CONFIG is a JSON object:
  endpoint  the wsman URL, e.g. "https://127.0.0.1:5986/wsman"
  user, password
  session   extra keyword arguments for winrm.Session / winrm.Protocol
            (transport, ca_trust_path, cert_pem, cert_key_pem,
            message_encryption, operation_timeout_sec, read_timeout_sec, ...)
  steps     a list of steps, run in order over one session (one connection):
    {"kind": "cmd", "command": "...", "args": [...]}
        Session.run_cmd: open a shell, run, receive, terminate, delete.
    {"kind": "ps", "script": "..."}
        Session.run_ps: the script travels as powershell -EncodedCommand.
    {"kind": "stdin", "command": "...", "stdin": BASE64, "chunk": N}
        Protocol level: run the command, send stdin in Send messages of at
        most N bytes (the last one with End="true"), then receive.

Prints one JSON object: {"steps": [{"stdout": BASE64, "stderr": BASE64,
"code": INT, "error": "ExceptionClass: message" or ""}]}. A step that raises
records the error and the script goes on with the next step.
"""

import base64
import json
import sys

import xmltodict
import winrm

SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
SEND_ACTION = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send"


def send_stdin(protocol, shell_id, command_id, data, end):
    """Send one rsp:Send message (pywinrm 0.3 has no API for stdin)."""
    req = {"env:Envelope": protocol._get_soap_header(
        resource_uri=SHELL_URI, action=SEND_ACTION, shell_id=shell_id)}
    stream = req["env:Envelope"].setdefault("env:Body", {}).setdefault(
        "rsp:Send", {}).setdefault("rsp:Stream", {})
    stream["@Name"] = "stdin"
    stream["@CommandId"] = command_id
    if end:
        stream["@End"] = "true"
    stream["#text"] = base64.b64encode(data).decode("ascii")
    protocol.send_message(xmltodict.unparse(req))


def run_with_stdin(protocol, step):
    data = base64.b64decode(step.get("stdin", ""))
    chunk = max(1, int(step.get("chunk", 4096)))
    shell_id = protocol.open_shell()
    try:
        command_id = protocol.run_command(shell_id, step["command"], step.get("args", []))
        pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] or [b""]
        for i, piece in enumerate(pieces):
            send_stdin(protocol, shell_id, command_id, piece, i == len(pieces) - 1)
        stdout, stderr, code = protocol.get_command_output(shell_id, command_id)
        protocol.cleanup_command(shell_id, command_id)
    finally:
        protocol.close_shell(shell_id)
    return stdout, stderr, code


def run_step(session, step):
    kind = step["kind"]
    if kind == "cmd":
        r = session.run_cmd(step["command"], step.get("args", []))
        return r.std_out, r.std_err, r.status_code
    if kind == "ps":
        r = session.run_ps(step["script"])
        return r.std_out, r.std_err, r.status_code
    if kind == "stdin":
        return run_with_stdin(session.protocol, step)
    raise ValueError("unknown step kind %r" % kind)


def main():
    with open(sys.argv[1]) as f:
        config = json.load(f)
    session = winrm.Session(config["endpoint"],
                            auth=(config.get("user"), config.get("password")),
                            **config.get("session", {}))
    results = []
    for step in config["steps"]:
        result = {"stdout": "", "stderr": "", "code": -1, "error": ""}
        try:
            stdout, stderr, code = run_step(session, step)
            result.update(stdout=base64.b64encode(stdout).decode("ascii"),
                          stderr=base64.b64encode(stderr).decode("ascii"),
                          code=code)
        except Exception as e:  # recorded for the Go test to judge
            result["error"] = "%s: %s" % (type(e).__name__, e)
        results.append(result)
    json.dump({"steps": results}, sys.stdout)


if __name__ == "__main__":
    main()
