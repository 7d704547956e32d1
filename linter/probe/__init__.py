"""``mtalint probe``: look at a running SMTP server and compare it with its configuration.

One job per module:

- :mod:`.smtp`: a bounded SMTP client session (timeouts, reply size and line caps);
- :mod:`.tls`: which TLS versions a port accepts, and the cipher it negotiates;
- :mod:`.certs`: the server certificate (trust, names, expiry, key size, self-signed);
- :mod:`.relay`: the explicit relay test (stops at RCPT, never sends DATA);
- :mod:`.port`: everything learnt about one port, as a facts document entry;
- :mod:`.drift`: differences between the configuration's posture and what ports show;
- :mod:`.findings`: the facts judged by the rules in ``rules/probe/``;
- :mod:`.run`: targets, ports, concurrency and the total time budget.

Only the hosts the user names are contacted, on the ports the user names.
"""
