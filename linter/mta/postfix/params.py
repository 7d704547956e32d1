"""What Postfix knows about its main.cf parameters, as data and small pure functions.

* :data:`BUILTIN_DEFAULTS` — the raw (unexpanded) built-in default of every parameter, as
  ``postconf -d`` prints it for Postfix 3.7.11, with machine-dependent values replaced by
  portable ones (:data:`HOST_DEPENDENT`).
* :data:`COMPAT_DEFAULTS` and :data:`VERSION_DEFAULTS` — defaults that depend on
  ``compatibility_level`` or on the Postfix version; :func:`default_for` applies both.
* :data:`DEPRECATED` — obsolete names and what to use instead (:func:`deprecation_message`).
* :func:`classify` — postconf's rules for names that are not built-in: per-service names
  (``relay_destination_concurrency_limit``), database names (``<table>_server_host`` for
  ``ldap:<table>``) and legacy names that built-in defaults still refer to.
* :func:`suggest` — a "did you mean" for a misspelt parameter name.

The data were produced by ``postconf`` 3.7.11 (Debian 12 build) and are checked against it
by ``tests/test_postfix_params.py``, which can also regenerate the generated block:
``python tests/test_postfix_params.py --regenerate``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple

Version = tuple[int, int, int]

#: The ``postconf`` whose ``-d`` output :data:`BUILTIN_DEFAULTS` holds.
DATA_VERSION: Version = (3, 7, 11)
#: The Postfix version the rest of mtalint assumes when none is given: Debian 12's, the
#: one the data were read off.
DEFAULT_VERSION: Version = DATA_VERSION


# ---------------------------------------------------------------- compatibility levels

# compat_level_from_string() (src/global/compat_level.c) reads "major[.minor[.patch]]" with
# strtol() per part: leading blanks and a sign are allowed, the value must be >= 0, minor and
# patch fit in 10 bits each, and major fits in the rest of a 64-bit long.
_LEVEL_PART = re.compile(r"[ \t\n\v\f\r]*[+-]?[0-9]+")
_MAJOR_MAX = (2**63 - 1) >> 20
_MINOR_PATCH_MAX = 1023


def parse_level(text: str) -> Version | None:
    """``major[.minor[.patch]]`` as compat_level_from_string() reads it; None if refused."""
    parts = text.split(".")
    if len(parts) > 3:
        return None
    numbers: list[int] = []
    for index, part in enumerate(parts):
        if _LEVEL_PART.fullmatch(part) is None:
            return None
        # strtol() saturates past LONG_MAX and Postfix then refuses the level: more than
        # 19 digits (leading zeros aside) is out of range, and never reaches int()
        digits = part.lstrip(" \t\n\v\f\r+-").lstrip("0")
        if len(digits) > 19:
            return None
        number = int(part)
        if number < 0 or number > (_MAJOR_MAX if index == 0 else _MINOR_PATCH_MAX):
            return None
        numbers.append(number)
    numbers.extend([0] * (3 - len(numbers)))
    return numbers[0], numbers[1], numbers[2]


def valid_compat_level(text: str) -> bool:
    """Whether Postfix accepts ``text`` as a compatibility level (or version) number.

    Postfix treats anything else as ``malformed compatibility level syntax``, which is
    fatal wherever the level is compared (``postconf`` exits with ``macro processing error``).
    """
    return parse_level(text) is not None


def compat_level_tuple(text: str) -> Version:
    """``"3.10"`` → ``(3, 10, 0)``: a level (or version) that compares the way Postfix's
    ``<level`` operators do, so ``"3.10"`` > ``"3.9"``; missing parts are 0 and text Postfix
    would reject is ``(0, 0, 0)``."""
    return parse_level(text) or (0, 0, 0)


def _version(version: tuple[int, ...]) -> Version:
    padded = (*version[:3], 0, 0, 0)
    return padded[0], padded[1], padded[2]


# ---------------------------------------------------------------- built-in defaults

# The generated block holds ``postconf -c DIR -d`` output for an empty main.cf and master.cf
# (an installed master.cf adds per-service names, see SERVICE_SUFFIX_DEFAULTS), except the
# names in _PORTABLE_DEFAULTS below.
# BEGIN GENERATED BUILTIN_DEFAULTS
BUILTIN_DEFAULTS: dict[str, str] = {
    "2bounce_notice_recipient": "postmaster",
    "access_map_defer_code": "450",
    "access_map_reject_code": "554",
    "address_verify_cache_cleanup_interval": "12h",
    "address_verify_default_transport": "$default_transport",
    "address_verify_local_transport": "$local_transport",
    "address_verify_map": "btree:$data_directory/verify_cache",
    "address_verify_negative_cache": "yes",
    "address_verify_negative_expire_time": "3d",
    "address_verify_negative_refresh_time": "3h",
    "address_verify_pending_request_limit": "5000",
    "address_verify_poll_count": "${stress?{1}:{3}}",
    "address_verify_poll_delay": "3s",
    "address_verify_positive_expire_time": "31d",
    "address_verify_positive_refresh_time": "7d",
    "address_verify_relay_transport": "$relay_transport",
    "address_verify_relayhost": "$relayhost",
    "address_verify_sender": "$double_bounce_sender",
    "address_verify_sender_dependent_default_transport_maps": (
        "$sender_dependent_default_transport_maps"
    ),
    "address_verify_sender_dependent_relayhost_maps": "$sender_dependent_relayhost_maps",
    "address_verify_sender_ttl": "0s",
    "address_verify_service_name": "verify",
    "address_verify_transport_maps": "$transport_maps",
    "address_verify_virtual_transport": "$virtual_transport",
    "alias_database": "hash:/etc/aliases",
    "alias_maps": "hash:/etc/aliases, nis:mail.aliases",
    "allow_mail_to_commands": "alias, forward",
    "allow_mail_to_files": "alias, forward",
    "allow_min_user": "no",
    "allow_percent_hack": "yes",
    "allow_untrusted_routing": "no",
    "alternate_config_directories": "",
    "always_add_missing_headers": "no",
    "always_bcc": "",
    "anvil_rate_time_unit": "60s",
    "anvil_status_update_time": "600s",
    "append_at_myorigin": "yes",
    "append_dot_mydomain": "${{$compatibility_level} <level {1} ? {yes} : {no}}",
    "application_event_drain_time": "100s",
    "authorized_flush_users": "static:anyone",
    "authorized_mailq_users": "static:anyone",
    "authorized_submit_users": "static:anyone",
    "backwards_bounce_logfile_compatibility": "yes",
    "berkeley_db_create_buffer_size": "16777216",
    "berkeley_db_read_buffer_size": "131072",
    "best_mx_transport": "",
    "biff": "yes",
    "body_checks": "",
    "body_checks_size_limit": "51200",
    "bounce_notice_recipient": "postmaster",
    "bounce_queue_lifetime": "5d",
    "bounce_service_name": "bounce",
    "bounce_size_limit": "50000",
    "bounce_template_file": "",
    "broken_sasl_auth_clients": "no",
    "canonical_classes": "envelope_sender, envelope_recipient, header_sender, header_recipient",
    "canonical_maps": "",
    "cleanup_replace_stray_cr_lf": "yes",
    "cleanup_service_name": "cleanup",
    "command_directory": "/usr/sbin",
    "command_execution_directory": "",
    "command_expansion_filter": (
        "1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ),
    "command_time_limit": "1000s",
    "compatibility_level": "0",
    "config_directory": "/etc/postfix",
    "confirm_delay_cleared": "no",
    "connection_cache_protocol_timeout": "5s",
    "connection_cache_service_name": "scache",
    "connection_cache_status_update_time": "600s",
    "connection_cache_ttl_limit": "2s",
    "content_filter": "",
    "cyrus_sasl_config_path": "",
    "daemon_table_open_error_is_fatal": "no",
    "daemon_timeout": "18000s",
    "data_directory": "/var/lib/postfix",
    "debug_peer_level": "2",
    "debug_peer_list": "",
    "debugger_command": "",
    "default_database_type": "hash",
    "default_delivery_slot_cost": "5",
    "default_delivery_slot_discount": "50",
    "default_delivery_slot_loan": "3",
    "default_delivery_status_filter": "",
    "default_destination_concurrency_failed_cohort_limit": "1",
    "default_destination_concurrency_limit": "20",
    "default_destination_concurrency_negative_feedback": "1",
    "default_destination_concurrency_positive_feedback": "1",
    "default_destination_rate_delay": "0s",
    "default_destination_recipient_limit": "50",
    "default_extra_recipient_limit": "1000",
    "default_filter_nexthop": "",
    "default_minimum_delivery_slots": "3",
    "default_privs": "nobody",
    "default_process_limit": "100",
    "default_rbl_reply": (
        "$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using "
        "$rbl_domain${rbl_reason?; $rbl_reason}"
    ),
    "default_recipient_limit": "20000",
    "default_recipient_refill_delay": "5s",
    "default_recipient_refill_limit": "100",
    "default_transport": "smtp",
    "default_transport_rate_delay": "0s",
    "default_verp_delimiters": "+=",
    "defer_code": "450",
    "defer_service_name": "defer",
    "defer_transports": "",
    "delay_logging_resolution_limit": "2",
    "delay_notice_recipient": "postmaster",
    "delay_warning_time": "0h",
    "deliver_lock_attempts": "20",
    "deliver_lock_delay": "1s",
    "destination_concurrency_feedback_debug": "no",
    "detect_8bit_encoding_header": "yes",
    "disable_dns_lookups": "no",
    "disable_mime_input_processing": "no",
    "disable_mime_output_conversion": "no",
    "disable_verp_bounces": "no",
    "disable_vrfy_command": "no",
    "dns_ncache_ttl_fix_enable": "no",
    "dnsblog_reply_delay": "0s",
    "dnsblog_service_name": "dnsblog",
    "dnssec_probe": "ns:.",
    "dont_remove": "0",
    "double_bounce_sender": "double-bounce",
    "duplicate_filter_limit": "1000",
    "empty_address_default_transport_maps_lookup_key": "<>",
    "empty_address_local_login_sender_maps_lookup_key": "<>",
    "empty_address_recipient": "MAILER-DAEMON",
    "empty_address_relayhost_maps_lookup_key": "<>",
    "enable_idna2003_compatibility": "no",
    "enable_long_queue_ids": "no",
    "enable_original_recipient": "yes",
    "enable_threaded_bounces": "no",
    "error_notice_recipient": "postmaster",
    "error_service_name": "error",
    "execution_directory_expansion_filter": (
        "1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ),
    "expand_owner_alias": "no",
    "export_environment": "TZ MAIL_CONFIG LANG",
    "fallback_transport": "",
    "fallback_transport_maps": "",
    "fast_flush_domains": "$relay_domains",
    "fast_flush_purge_time": "7d",
    "fast_flush_refresh_time": "12h",
    "fault_injection_code": "0",
    "flush_service_name": "flush",
    "fork_attempts": "5",
    "fork_delay": "1s",
    "forward_expansion_filter": (
        "1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ),
    "forward_path": "$home/.forward${recipient_delimiter}${extension}, $home/.forward",
    "frozen_delivered_to": "yes",
    "hash_queue_depth": "1",
    "hash_queue_names": "deferred, defer",
    "header_address_token_limit": "10240",
    "header_checks": "",
    "header_from_format": "standard",
    "header_size_limit": "102400",
    "helpful_warnings": "yes",
    "home_mailbox": "",
    "hopcount_limit": "50",
    "ignore_mx_lookup_error": "no",
    "import_environment": (
        "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ XAUTHORITY DISPLAY LANG=C "
        "POSTLOG_SERVICE POSTLOG_HOSTNAME"
    ),
    "in_flow_delay": "1s",
    "inet_interfaces": "all",
    "inet_protocols": "all",
    "info_log_address_format": "external",
    "initial_destination_concurrency": "5",
    "internal_mail_filter_classes": "",
    "invalid_hostname_reject_code": "501",
    "ipc_idle": "5s",
    "ipc_timeout": "3600s",
    "ipc_ttl": "1000s",
    "known_tcp_ports": "lmtp=24, smtp=25, smtps=submissions=465, submission=587",
    "line_length_limit": "2048",
    "lmdb_map_size": "16777216",
    "lmtp_address_preference": "any",
    "lmtp_address_verify_target": "rcpt",
    "lmtp_assume_final": "no",
    "lmtp_balance_inet_protocols": "yes",
    "lmtp_bind_address": "",
    "lmtp_bind_address6": "",
    "lmtp_bind_address_enforce": "no",
    "lmtp_body_checks": "",
    "lmtp_cname_overrides_servername": "no",
    "lmtp_connect_timeout": "0s",
    "lmtp_connection_cache_destinations": "",
    "lmtp_connection_cache_on_demand": "yes",
    "lmtp_connection_cache_time_limit": "2s",
    "lmtp_connection_reuse_count_limit": "0",
    "lmtp_connection_reuse_time_limit": "300s",
    "lmtp_data_done_timeout": "600s",
    "lmtp_data_init_timeout": "120s",
    "lmtp_data_xfer_timeout": "180s",
    "lmtp_defer_if_no_mx_address_found": "no",
    "lmtp_delivery_status_filter": "$default_delivery_status_filter",
    "lmtp_discard_lhlo_keyword_address_maps": "",
    "lmtp_discard_lhlo_keywords": "",
    "lmtp_dns_reply_filter": "",
    "lmtp_dns_resolver_options": "",
    "lmtp_dns_support_level": "",
    "lmtp_enforce_tls": "no",
    "lmtp_fallback_relay": "",
    "lmtp_generic_maps": "",
    "lmtp_header_checks": "",
    "lmtp_host_lookup": "dns",
    "lmtp_lhlo_name": "$myhostname",
    "lmtp_lhlo_timeout": "300s",
    "lmtp_line_length_limit": "998",
    "lmtp_mail_timeout": "300s",
    "lmtp_mime_header_checks": "",
    "lmtp_min_data_rate": "500",
    "lmtp_mx_address_limit": "5",
    "lmtp_mx_session_limit": "2",
    "lmtp_nested_header_checks": "",
    "lmtp_per_request_deadline": "${lmtp_per_record_deadline?{$lmtp_per_record_deadline}:{no}}",
    "lmtp_pix_workaround_delay_time": "10s",
    "lmtp_pix_workaround_maps": "",
    "lmtp_pix_workaround_threshold_time": "500s",
    "lmtp_pix_workarounds": "disable_esmtp,delay_dotcrlf",
    "lmtp_quit_timeout": "300s",
    "lmtp_quote_rfc821_envelope": "yes",
    "lmtp_randomize_addresses": "yes",
    "lmtp_rcpt_timeout": "300s",
    "lmtp_reply_filter": "",
    "lmtp_rset_timeout": "20s",
    "lmtp_sasl_auth_cache_name": "",
    "lmtp_sasl_auth_cache_time": "90d",
    "lmtp_sasl_auth_enable": "no",
    "lmtp_sasl_auth_soft_bounce": "yes",
    "lmtp_sasl_mechanism_filter": "",
    "lmtp_sasl_password_maps": "",
    "lmtp_sasl_path": "",
    "lmtp_sasl_security_options": "noplaintext, noanonymous",
    "lmtp_sasl_tls_security_options": "$lmtp_sasl_security_options",
    "lmtp_sasl_tls_verified_security_options": "$lmtp_sasl_tls_security_options",
    "lmtp_sasl_type": "cyrus",
    "lmtp_send_dummy_mail_auth": "no",
    "lmtp_send_xforward_command": "no",
    "lmtp_sender_dependent_authentication": "no",
    "lmtp_skip_5xx_greeting": "yes",
    "lmtp_skip_quit_response": "no",
    "lmtp_starttls_timeout": "300s",
    "lmtp_tcp_port": "24",
    "lmtp_tls_CAfile": "",
    "lmtp_tls_CApath": "",
    "lmtp_tls_block_early_mail_reply": "no",
    "lmtp_tls_cert_file": "",
    "lmtp_tls_chain_files": "",
    "lmtp_tls_ciphers": "medium",
    "lmtp_tls_connection_reuse": "no",
    "lmtp_tls_dcert_file": "",
    "lmtp_tls_dkey_file": "$lmtp_tls_dcert_file",
    "lmtp_tls_eccert_file": "",
    "lmtp_tls_eckey_file": "$lmtp_tls_eccert_file",
    "lmtp_tls_enforce_peername": "yes",
    "lmtp_tls_exclude_ciphers": "",
    "lmtp_tls_fingerprint_cert_match": "",
    "lmtp_tls_fingerprint_digest": "${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}",
    "lmtp_tls_force_insecure_host_tlsa_lookup": "no",
    "lmtp_tls_key_file": "$lmtp_tls_cert_file",
    "lmtp_tls_loglevel": "0",
    "lmtp_tls_mandatory_ciphers": "medium",
    "lmtp_tls_mandatory_exclude_ciphers": "",
    "lmtp_tls_mandatory_protocols": ">=TLSv1",
    "lmtp_tls_note_starttls_offer": "no",
    "lmtp_tls_per_site": "",
    "lmtp_tls_policy_maps": "",
    "lmtp_tls_protocols": ">=TLSv1",
    "lmtp_tls_scert_verifydepth": "9",
    "lmtp_tls_secure_cert_match": "nexthop",
    "lmtp_tls_security_level": "",
    "lmtp_tls_servername": "",
    "lmtp_tls_session_cache_database": "",
    "lmtp_tls_session_cache_timeout": "3600s",
    "lmtp_tls_trust_anchor_file": "",
    "lmtp_tls_verify_cert_match": "hostname",
    "lmtp_tls_wrappermode": "no",
    "lmtp_use_tls": "no",
    "lmtp_xforward_timeout": "300s",
    "local_command_shell": "",
    "local_delivery_status_filter": "$default_delivery_status_filter",
    "local_destination_concurrency_limit": "2",
    "local_destination_recipient_limit": "1",
    "local_header_rewrite_clients": "permit_inet_interfaces",
    "local_login_sender_maps": "static:*",
    "local_recipient_maps": "proxy:unix:passwd.byname $alias_maps",
    "local_transport": "local:$myhostname",
    "luser_relay": "",
    "mail_name": "Postfix",
    "mail_owner": "postfix",
    "mail_spool_directory": "/var/mail",
    "mailbox_command": "",
    "mailbox_command_maps": "",
    "mailbox_delivery_lock": "fcntl, dotlock",
    "mailbox_size_limit": "51200000",
    "mailbox_transport": "",
    "mailbox_transport_maps": "",
    "maillog_file": "",
    "maillog_file_compressor": "gzip",
    "maillog_file_prefixes": "/var, /dev/stdout",
    "maillog_file_rotate_suffix": "%Y%m%d-%H%M%S",
    "mailq_path": "/usr/bin/mailq",
    "maps_rbl_domains": "",
    "maps_rbl_reject_code": "554",
    "masquerade_classes": "envelope_sender, header_sender, header_recipient",
    "masquerade_domains": "",
    "masquerade_exceptions": "",
    "master_service_disable": "",
    "max_idle": "100s",
    "max_use": "100",
    "maximal_backoff_time": "4000s",
    "maximal_queue_lifetime": "5d",
    "message_drop_headers": "bcc, content-length, resent-bcc, return-path",
    "message_reject_characters": "",
    "message_size_limit": "10240000",
    "message_strip_characters": "",
    "meta_directory": "/etc/postfix",
    "milter_command_timeout": "30s",
    "milter_connect_macros": "j {daemon_name} {daemon_addr} v _",
    "milter_connect_timeout": "30s",
    "milter_content_timeout": "300s",
    "milter_data_macros": "i",
    "milter_default_action": "tempfail",
    "milter_end_of_data_macros": "i",
    "milter_end_of_header_macros": "i",
    "milter_header_checks": "",
    "milter_helo_macros": "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}",
    "milter_macro_daemon_name": "$myhostname",
    "milter_macro_defaults": "",
    "milter_macro_v": "$mail_name $mail_version",
    "milter_mail_macros": (
        "i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}"
    ),
    "milter_protocol": "6",
    "milter_rcpt_macros": "i {rcpt_addr} {rcpt_host} {rcpt_mailer}",
    "milter_unknown_command_macros": "",
    "mime_boundary_length_limit": "2048",
    "mime_header_checks": "$header_checks",
    "mime_nesting_limit": "100",
    "minimal_backoff_time": "300s",
    "multi_instance_directories": "",
    "multi_instance_enable": "no",
    "multi_instance_group": "",
    "multi_instance_name": "",
    "multi_instance_wrapper": "",
    "multi_recipient_bounce_reject_code": "550",
    "mydestination": "$myhostname, localhost.$mydomain, localhost",
    "mynetworks_style": "${{$compatibility_level} <level {2} ? {subnet} : {host}}",
    "myorigin": "$myhostname",
    "nested_header_checks": "$header_checks",
    "newaliases_path": "/usr/bin/newaliases",
    "non_fqdn_reject_code": "504",
    "non_smtpd_milters": "",
    "notify_classes": "resource, software",
    "openssl_path": "openssl",
    "owner_request_special": "yes",
    "parent_domain_matches_subdomains": (
        "debug_peer_list,fast_flush_domains,mynetworks,permit_mx_backup_networks,"
        "qmqpd_authorized_clients,relay_domains,smtpd_access_maps"
    ),
    "permit_mx_backup_networks": "",
    "pickup_service_name": "pickup",
    "pipe_delivery_status_filter": "$default_delivery_status_filter",
    "plaintext_reject_code": "450",
    "postlog_service_name": "postlog",
    "postlogd_watchdog_timeout": "10s",
    "postmulti_control_commands": "reload flush",
    "postmulti_start_commands": "start",
    "postmulti_stop_commands": "stop abort drain quick-stop",
    "postscreen_access_list": "permit_mynetworks",
    "postscreen_allowlist_interfaces": (
        "${postscreen_whitelist_interfaces?{$postscreen_whitelist_interfaces}:{static:all}}"
    ),
    "postscreen_bare_newline_action": "ignore",
    "postscreen_bare_newline_enable": "no",
    "postscreen_bare_newline_ttl": "30d",
    "postscreen_cache_cleanup_interval": "12h",
    "postscreen_cache_map": "btree:$data_directory/postscreen_cache",
    "postscreen_cache_retention_time": "7d",
    "postscreen_client_connection_count_limit": "$smtpd_client_connection_count_limit",
    "postscreen_command_count_limit": "20",
    "postscreen_command_filter": "",
    "postscreen_command_time_limit": "${stress?{10}:{300}}s",
    "postscreen_denylist_action": (
        "${postscreen_blacklist_action?{$postscreen_blacklist_action}:{ignore}}"
    ),
    "postscreen_disable_vrfy_command": "$disable_vrfy_command",
    "postscreen_discard_ehlo_keyword_address_maps": "$smtpd_discard_ehlo_keyword_address_maps",
    "postscreen_discard_ehlo_keywords": "$smtpd_discard_ehlo_keywords",
    "postscreen_dnsbl_action": "ignore",
    "postscreen_dnsbl_allowlist_threshold": (
        "${postscreen_dnsbl_whitelist_threshold?{$postscreen_dnsbl_whitelist_threshold}:{0}}"
    ),
    "postscreen_dnsbl_max_ttl": "${postscreen_dnsbl_ttl?{$postscreen_dnsbl_ttl}:{1}}h",
    "postscreen_dnsbl_min_ttl": "60s",
    "postscreen_dnsbl_reply_map": "",
    "postscreen_dnsbl_sites": "",
    "postscreen_dnsbl_threshold": "1",
    "postscreen_dnsbl_timeout": "10s",
    "postscreen_enforce_tls": "$smtpd_enforce_tls",
    "postscreen_expansion_filter": "$smtpd_expansion_filter",
    "postscreen_forbidden_commands": "$smtpd_forbidden_commands",
    "postscreen_greet_action": "ignore",
    "postscreen_greet_banner": "$smtpd_banner",
    "postscreen_greet_ttl": "1d",
    "postscreen_greet_wait": "${stress?{2}:{6}}s",
    "postscreen_helo_required": "$smtpd_helo_required",
    "postscreen_non_smtp_command_action": "drop",
    "postscreen_non_smtp_command_enable": "no",
    "postscreen_non_smtp_command_ttl": "30d",
    "postscreen_pipelining_action": "enforce",
    "postscreen_pipelining_enable": "no",
    "postscreen_pipelining_ttl": "30d",
    "postscreen_post_queue_limit": "$default_process_limit",
    "postscreen_pre_queue_limit": "$default_process_limit",
    "postscreen_reject_footer": "$smtpd_reject_footer",
    "postscreen_reject_footer_maps": "$smtpd_reject_footer_maps",
    "postscreen_tls_security_level": "$smtpd_tls_security_level",
    "postscreen_upstream_proxy_protocol": "",
    "postscreen_upstream_proxy_timeout": "5s",
    "postscreen_use_tls": "$smtpd_use_tls",
    "postscreen_watchdog_timeout": "10s",
    "prepend_delivered_header": "command, file, forward",
    "process_id_directory": "pid",
    "propagate_unmatched_extensions": "canonical, virtual",
    "proxy_interfaces": "",
    "proxy_read_maps": (
        "$local_recipient_maps $mydestination $virtual_alias_maps "
        "$virtual_alias_domains $virtual_mailbox_maps $virtual_mailbox_domains "
        "$relay_recipient_maps $relay_domains $canonical_maps "
        "$sender_canonical_maps $recipient_canonical_maps $relocated_maps "
        "$transport_maps $mynetworks $smtpd_sender_login_maps $sender_bcc_maps "
        "$recipient_bcc_maps $smtp_generic_maps $lmtp_generic_maps $alias_maps "
        "$smtpd_client_restrictions $smtpd_helo_restrictions "
        "$smtpd_sender_restrictions $smtpd_relay_restrictions "
        "$smtpd_recipient_restrictions "
        "$address_verify_sender_dependent_default_transport_maps "
        "$address_verify_sender_dependent_relayhost_maps "
        "$address_verify_transport_maps $fallback_transport_maps "
        "$lmtp_discard_lhlo_keyword_address_maps $lmtp_pix_workaround_maps "
        "$lmtp_sasl_password_maps $lmtp_tls_policy_maps $mailbox_command_maps "
        "$mailbox_transport_maps $postscreen_discard_ehlo_keyword_address_maps "
        "$rbl_reply_maps $sender_dependent_default_transport_maps "
        "$sender_dependent_relayhost_maps "
        "$smtp_discard_ehlo_keyword_address_maps $smtp_pix_workaround_maps "
        "$smtp_sasl_password_maps $smtp_tls_policy_maps "
        "$smtpd_discard_ehlo_keyword_address_maps $smtpd_milter_maps "
        "$virtual_gid_maps $virtual_uid_maps $local_login_sender_maps "
        "$postscreen_reject_footer_maps $smtpd_reject_footer_maps "
        "$tls_server_sni_maps $tlsproxy_client_policy_maps "
        "$default_delivery_status_filter $lmtp_delivery_status_filter "
        "$lmtp_dns_reply_filter $lmtp_reply_filter $local_delivery_status_filter "
        "$pipe_delivery_status_filter $postscreen_command_filter "
        "$smtp_delivery_status_filter $smtp_dns_reply_filter $smtp_reply_filter "
        "$smtpd_command_filter $smtpd_dns_reply_filter "
        "$virtual_delivery_status_filter $body_checks $header_checks "
        "$lmtp_body_checks $lmtp_header_checks $lmtp_mime_header_checks "
        "$lmtp_nested_header_checks $milter_header_checks $mime_header_checks "
        "$nested_header_checks $smtp_body_checks $smtp_header_checks "
        "$smtp_mime_header_checks $smtp_nested_header_checks"
    ),
    "proxy_write_maps": (
        "$smtp_sasl_auth_cache_name $lmtp_sasl_auth_cache_name "
        "$address_verify_map $postscreen_cache_map"
    ),
    "proxymap_service_name": "proxymap",
    "proxywrite_service_name": "proxywrite",
    "qmgr_clog_warn_time": "300s",
    "qmgr_daemon_timeout": "1000s",
    "qmgr_fudge_factor": "100",
    "qmgr_ipc_timeout": "60s",
    "qmgr_message_active_limit": "20000",
    "qmgr_message_recipient_limit": "20000",
    "qmgr_message_recipient_minimum": "10",
    "qmqpd_authorized_clients": "",
    "qmqpd_client_port_logging": "no",
    "qmqpd_error_delay": "1s",
    "qmqpd_timeout": "300s",
    "queue_directory": "/var/spool/postfix",
    "queue_file_attribute_count_limit": "100",
    "queue_minfree": "0",
    "queue_run_delay": "300s",
    "queue_service_name": "qmgr",
    "rbl_reply_maps": "",
    "receive_override_options": "",
    "recipient_bcc_maps": "",
    "recipient_canonical_classes": "envelope_recipient, header_recipient",
    "recipient_canonical_maps": "",
    "recipient_delimiter": "",
    "reject_code": "554",
    "reject_tempfail_action": "defer_if_permit",
    "relay_clientcerts": "",
    "relay_domains": "${{$compatibility_level} <level {2} ? {$mydestination} : {}}",
    "relay_domains_reject_code": "554",
    "relay_recipient_maps": "",
    "relay_transport": "relay",
    "relayhost": "",
    "relocated_maps": "",
    "remote_header_rewrite_domain": "",
    "require_home_directory": "no",
    "reset_owner_alias": "no",
    "resolve_dequoted_address": "yes",
    "resolve_null_domain": "no",
    "resolve_numeric_domain": "no",
    "respectful_logging": "${{$compatibility_level} <level {3.6} ? {no} : {yes}}",
    "rewrite_service_name": "rewrite",
    "sample_directory": "/etc/postfix",
    "send_cyrus_sasl_authzid": "no",
    "sender_bcc_maps": "",
    "sender_canonical_classes": "envelope_sender, header_sender",
    "sender_canonical_maps": "",
    "sender_dependent_default_transport_maps": "",
    "sender_dependent_relayhost_maps": "",
    "sendmail_fix_line_endings": "always",
    "sendmail_path": "/usr/sbin/sendmail",
    "service_name": "",
    "service_throttle_time": "60s",
    "setgid_group": "postdrop",
    "show_user_unknown_table_name": "yes",
    "showq_service_name": "showq",
    "smtp_address_preference": "any",
    "smtp_address_verify_target": "rcpt",
    "smtp_always_send_ehlo": "yes",
    "smtp_balance_inet_protocols": "yes",
    "smtp_bind_address": "",
    "smtp_bind_address6": "",
    "smtp_bind_address_enforce": "no",
    "smtp_body_checks": "",
    "smtp_cname_overrides_servername": "no",
    "smtp_connect_timeout": "30s",
    "smtp_connection_cache_destinations": "",
    "smtp_connection_cache_on_demand": "yes",
    "smtp_connection_cache_time_limit": "2s",
    "smtp_connection_reuse_count_limit": "0",
    "smtp_connection_reuse_time_limit": "300s",
    "smtp_data_done_timeout": "600s",
    "smtp_data_init_timeout": "120s",
    "smtp_data_xfer_timeout": "180s",
    "smtp_defer_if_no_mx_address_found": "no",
    "smtp_delivery_status_filter": "$default_delivery_status_filter",
    "smtp_discard_ehlo_keyword_address_maps": "",
    "smtp_discard_ehlo_keywords": "",
    "smtp_dns_reply_filter": "",
    "smtp_dns_resolver_options": "",
    "smtp_dns_support_level": "",
    "smtp_enforce_tls": "no",
    "smtp_fallback_relay": "$fallback_relay",
    "smtp_generic_maps": "",
    "smtp_header_checks": "",
    "smtp_helo_name": "$myhostname",
    "smtp_helo_timeout": "300s",
    "smtp_host_lookup": "dns",
    "smtp_line_length_limit": "998",
    "smtp_mail_timeout": "300s",
    "smtp_mime_header_checks": "",
    "smtp_min_data_rate": "500",
    "smtp_mx_address_limit": "5",
    "smtp_mx_session_limit": "2",
    "smtp_nested_header_checks": "",
    "smtp_never_send_ehlo": "no",
    "smtp_per_request_deadline": "${smtp_per_record_deadline?{$smtp_per_record_deadline}:{no}}",
    "smtp_pix_workaround_delay_time": "10s",
    "smtp_pix_workaround_maps": "",
    "smtp_pix_workaround_threshold_time": "500s",
    "smtp_pix_workarounds": "disable_esmtp,delay_dotcrlf",
    "smtp_quit_timeout": "300s",
    "smtp_quote_rfc821_envelope": "yes",
    "smtp_randomize_addresses": "yes",
    "smtp_rcpt_timeout": "300s",
    "smtp_reply_filter": "",
    "smtp_rset_timeout": "20s",
    "smtp_sasl_auth_cache_name": "",
    "smtp_sasl_auth_cache_time": "90d",
    "smtp_sasl_auth_enable": "no",
    "smtp_sasl_auth_soft_bounce": "yes",
    "smtp_sasl_mechanism_filter": "",
    "smtp_sasl_password_maps": "",
    "smtp_sasl_path": "",
    "smtp_sasl_security_options": "noplaintext, noanonymous",
    "smtp_sasl_tls_security_options": "$smtp_sasl_security_options",
    "smtp_sasl_tls_verified_security_options": "$smtp_sasl_tls_security_options",
    "smtp_sasl_type": "cyrus",
    "smtp_send_dummy_mail_auth": "no",
    "smtp_send_xforward_command": "no",
    "smtp_sender_dependent_authentication": "no",
    "smtp_skip_5xx_greeting": "yes",
    "smtp_skip_quit_response": "yes",
    "smtp_starttls_timeout": "300s",
    "smtp_tcp_port": "smtp",
    "smtp_tls_CAfile": "",
    "smtp_tls_CApath": "",
    "smtp_tls_block_early_mail_reply": "no",
    "smtp_tls_cert_file": "",
    "smtp_tls_chain_files": "",
    "smtp_tls_ciphers": "medium",
    "smtp_tls_connection_reuse": "no",
    "smtp_tls_dane_insecure_mx_policy": "${{$smtp_tls_security_level} == {dane} ? {dane} : {may}}",
    "smtp_tls_dcert_file": "",
    "smtp_tls_dkey_file": "$smtp_tls_dcert_file",
    "smtp_tls_eccert_file": "",
    "smtp_tls_eckey_file": "$smtp_tls_eccert_file",
    "smtp_tls_enforce_peername": "yes",
    "smtp_tls_exclude_ciphers": "",
    "smtp_tls_fingerprint_cert_match": "",
    "smtp_tls_fingerprint_digest": "${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}",
    "smtp_tls_force_insecure_host_tlsa_lookup": "no",
    "smtp_tls_key_file": "$smtp_tls_cert_file",
    "smtp_tls_loglevel": "0",
    "smtp_tls_mandatory_ciphers": "medium",
    "smtp_tls_mandatory_exclude_ciphers": "",
    "smtp_tls_mandatory_protocols": ">=TLSv1",
    "smtp_tls_note_starttls_offer": "no",
    "smtp_tls_per_site": "",
    "smtp_tls_policy_maps": "",
    "smtp_tls_protocols": ">=TLSv1",
    "smtp_tls_scert_verifydepth": "9",
    "smtp_tls_secure_cert_match": "nexthop, dot-nexthop",
    "smtp_tls_security_level": "",
    "smtp_tls_servername": "",
    "smtp_tls_session_cache_database": "",
    "smtp_tls_session_cache_timeout": "3600s",
    "smtp_tls_trust_anchor_file": "",
    "smtp_tls_verify_cert_match": "hostname",
    "smtp_tls_wrappermode": "no",
    "smtp_use_tls": "no",
    "smtp_xforward_timeout": "300s",
    "smtpd_authorized_verp_clients": "$authorized_verp_clients",
    "smtpd_authorized_xclient_hosts": "",
    "smtpd_authorized_xforward_hosts": "",
    "smtpd_banner": "$myhostname ESMTP $mail_name",
    "smtpd_client_auth_rate_limit": "0",
    "smtpd_client_connection_count_limit": "50",
    "smtpd_client_connection_rate_limit": "0",
    "smtpd_client_event_limit_exceptions": (
        "${smtpd_client_connection_limit_exceptions:$mynetworks}"
    ),
    "smtpd_client_message_rate_limit": "0",
    "smtpd_client_new_tls_session_rate_limit": "0",
    "smtpd_client_port_logging": "no",
    "smtpd_client_recipient_rate_limit": "0",
    "smtpd_client_restrictions": "",
    "smtpd_command_filter": "",
    "smtpd_data_restrictions": "",
    "smtpd_delay_open_until_valid_rcpt": "yes",
    "smtpd_delay_reject": "yes",
    "smtpd_discard_ehlo_keyword_address_maps": "",
    "smtpd_discard_ehlo_keywords": "",
    "smtpd_dns_reply_filter": "",
    "smtpd_end_of_data_restrictions": "",
    "smtpd_enforce_tls": "no",
    "smtpd_error_sleep_time": "1s",
    "smtpd_etrn_restrictions": "",
    "smtpd_expansion_filter": (
        "\\t\\40!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`ab"
        "cdefghijklmnopqrstuvwxyz{|}~"
    ),
    "smtpd_forbid_bare_newline": "no",
    "smtpd_forbid_bare_newline_exclusions": "$mynetworks",
    "smtpd_forbid_bare_newline_reject_code": "550",
    "smtpd_forbid_unauth_pipelining": "no",
    "smtpd_forbidden_commands": "CONNECT GET POST regexp:{{/^[^A-Z]/ Bogus}}",
    "smtpd_hard_error_limit": "${stress?{1}:{20}}",
    "smtpd_helo_required": "no",
    "smtpd_helo_restrictions": "",
    "smtpd_history_flush_threshold": "100",
    "smtpd_junk_command_limit": "${stress?{1}:{100}}",
    "smtpd_log_access_permit_actions": "",
    "smtpd_milter_maps": "",
    "smtpd_milters": "",
    "smtpd_min_data_rate": "500",
    "smtpd_noop_commands": "",
    "smtpd_null_access_lookup_key": "<>",
    "smtpd_peername_lookup": "yes",
    "smtpd_per_request_deadline": (
        "${smtpd_per_record_deadline?{$smtpd_per_record_deadline}:{${stress?{yes}:{no}}}}"
    ),
    "smtpd_policy_service_default_action": "451 4.3.5 Server configuration problem",
    "smtpd_policy_service_max_idle": "300s",
    "smtpd_policy_service_max_ttl": "1000s",
    "smtpd_policy_service_policy_context": "",
    "smtpd_policy_service_request_limit": "0",
    "smtpd_policy_service_retry_delay": "1s",
    "smtpd_policy_service_timeout": "100s",
    "smtpd_policy_service_try_limit": "2",
    "smtpd_proxy_ehlo": "$myhostname",
    "smtpd_proxy_filter": "",
    "smtpd_proxy_options": "",
    "smtpd_proxy_timeout": "100s",
    "smtpd_recipient_limit": "1000",
    "smtpd_recipient_overshoot_limit": "1000",
    "smtpd_recipient_restrictions": "",
    "smtpd_reject_footer": "",
    "smtpd_reject_footer_maps": "",
    "smtpd_reject_unlisted_recipient": "yes",
    "smtpd_reject_unlisted_sender": "no",
    "smtpd_relay_before_recipient_restrictions": (
        "${{$compatibility_level} <level {3.6} ? {no} : {yes}}"
    ),
    "smtpd_relay_restrictions": (
        "${{$compatibility_level} <level {1} ? {} : {permit_mynetworks, "
        "permit_sasl_authenticated, defer_unauth_destination}}"
    ),
    "smtpd_restriction_classes": "",
    "smtpd_sasl_auth_enable": "no",
    "smtpd_sasl_authenticated_header": "no",
    "smtpd_sasl_exceptions_networks": "",
    "smtpd_sasl_local_domain": "",
    "smtpd_sasl_mechanism_filter": "!external, static:rest",
    "smtpd_sasl_path": "smtpd",
    "smtpd_sasl_response_limit": "12288",
    "smtpd_sasl_security_options": "noanonymous",
    "smtpd_sasl_service": "smtp",
    "smtpd_sasl_tls_security_options": "$smtpd_sasl_security_options",
    "smtpd_sasl_type": "cyrus",
    "smtpd_sender_login_maps": "",
    "smtpd_sender_restrictions": "",
    "smtpd_service_name": "smtpd",
    "smtpd_soft_error_limit": "10",
    "smtpd_starttls_timeout": "${stress?{10}:{300}}s",
    "smtpd_timeout": "${stress?{10}:{300}}s",
    "smtpd_tls_CAfile": "",
    "smtpd_tls_CApath": "",
    "smtpd_tls_always_issue_session_ids": "yes",
    "smtpd_tls_ask_ccert": "no",
    "smtpd_tls_auth_only": "no",
    "smtpd_tls_ccert_verifydepth": "9",
    "smtpd_tls_cert_file": "",
    "smtpd_tls_chain_files": "",
    "smtpd_tls_ciphers": "medium",
    "smtpd_tls_dcert_file": "",
    "smtpd_tls_dh1024_param_file": "",
    "smtpd_tls_dh512_param_file": "",
    "smtpd_tls_dkey_file": "$smtpd_tls_dcert_file",
    "smtpd_tls_eccert_file": "",
    "smtpd_tls_eckey_file": "$smtpd_tls_eccert_file",
    "smtpd_tls_eecdh_grade": "auto",
    "smtpd_tls_exclude_ciphers": "",
    "smtpd_tls_fingerprint_digest": "${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}",
    "smtpd_tls_key_file": "$smtpd_tls_cert_file",
    "smtpd_tls_loglevel": "0",
    "smtpd_tls_mandatory_ciphers": "medium",
    "smtpd_tls_mandatory_exclude_ciphers": "",
    "smtpd_tls_mandatory_protocols": ">=TLSv1",
    "smtpd_tls_protocols": ">=TLSv1",
    "smtpd_tls_received_header": "no",
    "smtpd_tls_req_ccert": "no",
    "smtpd_tls_security_level": "",
    "smtpd_tls_session_cache_database": "",
    "smtpd_tls_session_cache_timeout": "3600s",
    "smtpd_tls_wrappermode": "no",
    "smtpd_upstream_proxy_protocol": "",
    "smtpd_upstream_proxy_timeout": "5s",
    "smtpd_use_tls": "no",
    "smtputf8_autodetect_classes": "sendmail, verify",
    "smtputf8_enable": "${{$compatibility_level} <level {1} ? {no} : {yes}}",
    "soft_bounce": "no",
    "stale_lock_time": "500s",
    "stress": "",
    "strict_7bit_headers": "no",
    "strict_8bitmime": "no",
    "strict_8bitmime_body": "no",
    "strict_mailbox_ownership": "yes",
    "strict_mime_encoding_domain": "no",
    "strict_rfc821_envelopes": "no",
    "strict_smtputf8": "no",
    "sun_mailtool_compatibility": "no",
    "swap_bangpath": "yes",
    "syslog_facility": "mail",
    "syslog_name": "${multi_instance_name?{$multi_instance_name}:{postfix}}",
    "tcp_windowsize": "0",
    "tls_append_default_CA": "no",
    "tls_config_file": "default",
    "tls_config_name": "",
    "tls_daemon_random_bytes": "32",
    "tls_dane_digests": "sha512 sha256",
    "tls_disable_workarounds": "",
    "tls_eecdh_auto_curves": "X25519 X448 prime256v1 secp521r1 secp384r1",
    "tls_eecdh_strong_curve": "prime256v1",
    "tls_eecdh_ultra_curve": "secp384r1",
    "tls_export_cipherlist": "aNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH",
    "tls_fast_shutdown_enable": "yes",
    "tls_high_cipherlist": "aNULL:-aNULL:HIGH:@STRENGTH",
    "tls_legacy_public_key_fingerprints": "no",
    "tls_low_cipherlist": "aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH",
    "tls_medium_cipherlist": "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH",
    "tls_null_cipherlist": "eNULL:!aNULL",
    "tls_preempt_cipherlist": "no",
    "tls_random_bytes": "32",
    "tls_random_exchange_name": "${data_directory}/prng_exch",
    "tls_random_prng_update_period": "3600s",
    "tls_random_reseed_period": "3600s",
    "tls_random_source": "dev:/dev/urandom",
    "tls_server_sni_maps": "",
    "tls_session_ticket_cipher": "aes-256-cbc",
    "tls_ssl_options": "",
    "tls_wildcard_matches_multiple_labels": "yes",
    "tlsmgr_service_name": "tlsmgr",
    "tlsproxy_client_CAfile": "$smtp_tls_CAfile",
    "tlsproxy_client_CApath": "$smtp_tls_CApath",
    "tlsproxy_client_cert_file": "$smtp_tls_cert_file",
    "tlsproxy_client_chain_files": "$smtp_tls_chain_files",
    "tlsproxy_client_dcert_file": "$smtp_tls_dcert_file",
    "tlsproxy_client_dkey_file": "$smtp_tls_dkey_file",
    "tlsproxy_client_eccert_file": "$smtp_tls_eccert_file",
    "tlsproxy_client_eckey_file": "$smtp_tls_eckey_file",
    "tlsproxy_client_enforce_tls": "$smtp_enforce_tls",
    "tlsproxy_client_fingerprint_digest": "$smtp_tls_fingerprint_digest",
    "tlsproxy_client_key_file": "$smtp_tls_key_file",
    "tlsproxy_client_loglevel": "$smtp_tls_loglevel",
    "tlsproxy_client_loglevel_parameter": "smtp_tls_loglevel",
    "tlsproxy_client_per_site": "$smtp_tls_per_site",
    "tlsproxy_client_policy_maps": "${tlsproxy_client_policy:$smtp_tls_policy_maps}",
    "tlsproxy_client_scert_verifydepth": "$smtp_tls_scert_verifydepth",
    "tlsproxy_client_security_level": "${tlsproxy_client_level:$smtp_tls_security_level}",
    "tlsproxy_client_use_tls": "$smtp_use_tls",
    "tlsproxy_enforce_tls": "$smtpd_enforce_tls",
    "tlsproxy_service_name": "tlsproxy",
    "tlsproxy_tls_CAfile": "$smtpd_tls_CAfile",
    "tlsproxy_tls_CApath": "$smtpd_tls_CApath",
    "tlsproxy_tls_always_issue_session_ids": "$smtpd_tls_always_issue_session_ids",
    "tlsproxy_tls_ask_ccert": "$smtpd_tls_ask_ccert",
    "tlsproxy_tls_ccert_verifydepth": "$smtpd_tls_ccert_verifydepth",
    "tlsproxy_tls_cert_file": "$smtpd_tls_cert_file",
    "tlsproxy_tls_chain_files": "$smtpd_tls_chain_files",
    "tlsproxy_tls_ciphers": "$smtpd_tls_ciphers",
    "tlsproxy_tls_dcert_file": "$smtpd_tls_dcert_file",
    "tlsproxy_tls_dh1024_param_file": "$smtpd_tls_dh1024_param_file",
    "tlsproxy_tls_dh512_param_file": "$smtpd_tls_dh512_param_file",
    "tlsproxy_tls_dkey_file": "$smtpd_tls_dkey_file",
    "tlsproxy_tls_eccert_file": "$smtpd_tls_eccert_file",
    "tlsproxy_tls_eckey_file": "$smtpd_tls_eckey_file",
    "tlsproxy_tls_eecdh_grade": "$smtpd_tls_eecdh_grade",
    "tlsproxy_tls_exclude_ciphers": "$smtpd_tls_exclude_ciphers",
    "tlsproxy_tls_fingerprint_digest": "$smtpd_tls_fingerprint_digest",
    "tlsproxy_tls_key_file": "$smtpd_tls_key_file",
    "tlsproxy_tls_loglevel": "$smtpd_tls_loglevel",
    "tlsproxy_tls_mandatory_ciphers": "$smtpd_tls_mandatory_ciphers",
    "tlsproxy_tls_mandatory_exclude_ciphers": "$smtpd_tls_mandatory_exclude_ciphers",
    "tlsproxy_tls_mandatory_protocols": "$smtpd_tls_mandatory_protocols",
    "tlsproxy_tls_protocols": "$smtpd_tls_protocols",
    "tlsproxy_tls_req_ccert": "$smtpd_tls_req_ccert",
    "tlsproxy_tls_security_level": "$smtpd_tls_security_level",
    "tlsproxy_use_tls": "$smtpd_use_tls",
    "tlsproxy_watchdog_timeout": "10s",
    "trace_service_name": "trace",
    "transport_maps": "",
    "transport_retry_time": "60s",
    "trigger_timeout": "10s",
    "undisclosed_recipients_header": "",
    "unknown_address_reject_code": "450",
    "unknown_address_tempfail_action": "$reject_tempfail_action",
    "unknown_client_reject_code": "450",
    "unknown_helo_hostname_tempfail_action": "$reject_tempfail_action",
    "unknown_hostname_reject_code": "450",
    "unknown_local_recipient_reject_code": "550",
    "unknown_relay_recipient_reject_code": "550",
    "unknown_virtual_alias_reject_code": "550",
    "unknown_virtual_mailbox_reject_code": "550",
    "unverified_recipient_defer_code": "450",
    "unverified_recipient_reject_code": "450",
    "unverified_recipient_reject_reason": "",
    "unverified_recipient_tempfail_action": "$reject_tempfail_action",
    "unverified_sender_defer_code": "450",
    "unverified_sender_reject_code": "450",
    "unverified_sender_reject_reason": "",
    "unverified_sender_tempfail_action": "$reject_tempfail_action",
    "verp_delimiter_filter": "-=+",
    "virtual_alias_address_length_limit": "1000",
    "virtual_alias_domains": "$virtual_alias_maps",
    "virtual_alias_expansion_limit": "1000",
    "virtual_alias_maps": "$virtual_maps",
    "virtual_alias_recursion_limit": "1000",
    "virtual_delivery_status_filter": "$default_delivery_status_filter",
    "virtual_gid_maps": "",
    "virtual_mailbox_base": "",
    "virtual_mailbox_domains": "$virtual_mailbox_maps",
    "virtual_mailbox_limit": "51200000",
    "virtual_mailbox_lock": "fcntl, dotlock",
    "virtual_mailbox_maps": "",
    "virtual_minimum_uid": "100",
    "virtual_transport": "virtual",
    "virtual_uid_maps": "",
}
# END GENERATED BUILTIN_DEFAULTS

# Values that postconf computes from the machine it runs on, the running process, or the
# installed build. They are kept out of the generated block; these portable values stand in.
_PORTABLE_DEFAULTS: dict[str, str] = {
    # gethostname(), with ".localdomain" appended when it has no dot (mail_params.c); this
    # is the value on a host named "localhost".
    "myhostname": "localhost.localdomain",
    # $myhostname minus its first label, or "localdomain" (postconf(5)).
    "mydomain": "localdomain",
    # Computed from the interface addresses per mynetworks_style; only the loopback part is
    # the same on every host. default_for() picks the form matching the mynetworks_style
    # default (subnet below compatibility_level 2, host from 2 on), see MYNETWORKS_BY_STYLE.
    "mynetworks": "127.0.0.0/8 [::1]/128",
    # Read-only: the process id and program name of whichever program reads main.cf.
    "process_id": "0",
    "process_name": "postconf",
    # The installed release (default_for() reports the version it is given).
    "mail_version": "3.7.11",
    "mail_release_date": "20240304",
    # Installation paths that the Debian build changes; these are upstream's defaults
    # (postfix-install, makedefs). Debian's values are in DEBIAN_DEFAULTS.
    "daemon_directory": "/usr/libexec/postfix",
    "html_directory": "no",
    "manpage_directory": "/usr/local/man",
    "readme_directory": "no",
    # "no" when Postfix is built without shared libraries, upstream's default build.
    "shlib_directory": "no",
}
BUILTIN_DEFAULTS.update(_PORTABLE_DEFAULTS)

#: Parameters whose ``postconf -d`` value depends on the machine, the process or the build;
#: :data:`BUILTIN_DEFAULTS` holds a portable stand-in for them.
HOST_DEPENDENT: frozenset[str] = frozenset(_PORTABLE_DEFAULTS)

#: What the Debian 12 package (Postfix 3.7.11) prints where it differs from upstream.
DEBIAN_DEFAULTS: dict[str, str] = {
    "daemon_directory": "/usr/lib/postfix/sbin",
    "html_directory": "/usr/share/doc/postfix/html",
    "manpage_directory": "/usr/share/man",
    "readme_directory": "/usr/share/doc/postfix",
    "shlib_directory": "/usr/lib/postfix",
}

#: Defaults that are upstream's values for a Linux build and are kept as they are, but that
#: another operating system or a build with different ``make makefiles`` options changes.
BUILD_DEPENDENT: frozenset[str] = frozenset(
    {
        "alias_database",
        "alias_maps",
        "command_directory",
        "config_directory",
        "data_directory",
        "default_database_type",
        "mail_spool_directory",
        "mailq_path",
        "meta_directory",
        "newaliases_path",
        "queue_directory",
        "sample_directory",
        "sendmail_path",
        "tls_random_source",
    }
)

#: The loopback-only part of the computed ``mynetworks`` per ``mynetworks_style``.
MYNETWORKS_BY_STYLE: dict[str, str] = {
    "host": "127.0.0.1/32 [::1]/128",
    "subnet": "127.0.0.0/8 [::1]/128",
    "class": "127.0.0.0/8 [::1]/128",
}

#: Names that are not parameters of their own but that built-in defaults still refer to
#: (``virtual_alias_maps = $virtual_maps``): postconf counts them as used. Names in the
#: defaults of parameters that are not ``$name``-expanded (``$home`` in forward_path,
#: ``$rbl_code`` in default_rbl_reply) do not count.
LEGACY_PARAMETERS: frozenset[str] = frozenset(
    {
        "authorized_verp_clients",
        "fallback_relay",
        "lmtp_per_record_deadline",
        "postscreen_blacklist_action",
        "postscreen_dnsbl_ttl",
        "postscreen_dnsbl_whitelist_threshold",
        "postscreen_whitelist_interfaces",
        "smtp_per_record_deadline",
        "smtpd_client_connection_limit_exceptions",
        "smtpd_per_record_deadline",
        "tlsproxy_client_level",
        "tlsproxy_client_policy",
        "virtual_maps",
    }
)

#: Parameters whose value main.cf does not ``$name``-expand (the program that uses it
#: expands its own macros, like local(8)'s ``$home``): a ``$name`` in their value does not
#: count as a use of a user-defined parameter.
RAW_PARAMETERS: frozenset[str] = frozenset(
    {
        "command_execution_directory",
        "default_rbl_reply",
        "forward_path",
        "luser_relay",
        "mailbox_command",
        "postscreen_expansion_filter",
        "postscreen_reject_footer",
        "smtpd_expansion_filter",
        "smtpd_reject_footer",
    }
)

#: Parameters that cannot be set: postconf warns "read-only parameter assignment" and
#: ignores the value.
READ_ONLY_PARAMETERS: frozenset[str] = frozenset({"process_id", "process_name", "service_name"})


# ---------------------------------------------------------------- level-dependent defaults


class CompatDefault(NamedTuple):
    """A default that is ``below`` while ``compatibility_level`` is below ``level``."""

    name: str
    level: str
    below: str


#: Built-in defaults that depend on ``compatibility_level`` (postconf prints them as
#: ``${{$compatibility_level} <level {N} ? {below} : {value}}``). Levels 1 and 2 came with
#: Postfix 3.0; from 3.6 on a level is the Postfix version that made the change, and a
#: release before that version always uses ``below``.
COMPAT_DEFAULTS: list[CompatDefault] = [
    CompatDefault("append_dot_mydomain", "1", "yes"),
    CompatDefault("smtputf8_enable", "1", "no"),
    CompatDefault("smtpd_relay_restrictions", "1", ""),
    CompatDefault("mynetworks_style", "2", "subnet"),
    CompatDefault("relay_domains", "2", "$mydestination"),
    CompatDefault("smtpd_relay_before_recipient_restrictions", "3.6", "no"),
    CompatDefault("respectful_logging", "3.6", "no"),
    CompatDefault("smtpd_tls_fingerprint_digest", "3.6", "md5"),
    CompatDefault("smtp_tls_fingerprint_digest", "3.6", "md5"),
    CompatDefault("lmtp_tls_fingerprint_digest", "3.6", "md5"),
]

_COMPAT_BY_NAME: dict[str, CompatDefault] = {c.name: c for c in COMPAT_DEFAULTS}

_COMPAT_EXPRESSION = re.compile(
    r"\$\{\{\$compatibility_level\} <level \{(?P<level>[^{}]*)\} \? "
    r"\{(?P<below>.*)\} : \{(?P<value>.*)\}\}"
)


@cache
def _compat_value(name: str) -> str:
    """The value at or above the level, taken from the built-in expression."""
    m = _COMPAT_EXPRESSION.fullmatch(BUILTIN_DEFAULTS[name])
    return m.group("value") if m else BUILTIN_DEFAULTS[name]


def _introduced(level: Version) -> Version:
    return level if level >= (3, 0, 0) else (3, 0, 0)


class MasterDefault(NamedTuple):
    """A master.cf column default: ``below`` under compatibility_level ``level``."""

    level: str
    below: str
    value: str


#: The master.cf ``chroot`` column ``-``: ``y`` below compatibility_level 1 (and before
#: Postfix 3.0), ``n`` otherwise (master(5); master(8) logs "using backwards-compatible
#: default setting chroot=y").
MASTER_CHROOT_DEFAULT = MasterDefault(level="1", below="y", value="n")


def master_chroot_default(compat_level: str, version: tuple[int, ...] = DEFAULT_VERSION) -> str:
    """What ``-`` in master.cf's chroot column means: ``"y"`` or ``"n"``."""
    level = compat_level_tuple(MASTER_CHROOT_DEFAULT.level)
    if _version(version) < _introduced(level) or compat_level_tuple(compat_level) < level:
        return MASTER_CHROOT_DEFAULT.below
    return MASTER_CHROOT_DEFAULT.value


# ---------------------------------------------------------------- version-dependent defaults


class VersionDefault(NamedTuple):
    """From Postfix ``since`` on the default is ``value`` — but if ``level`` is set, only at
    ``compatibility_level >= level``, and ``below`` under it."""

    since: Version
    value: str
    level: str | None = None
    below: str = ""


_PROTOCOLS = (
    VersionDefault((0, 0, 0), "SSLv3, TLSv1"),
    VersionDefault((2, 10, 0), "!SSLv2"),
    VersionDefault((3, 1, 0), "!SSLv2, !SSLv3"),
    VersionDefault((3, 6, 0), ">=TLSv1"),
)
_CLIENT_PROTOCOLS = (
    VersionDefault((0, 0, 0), ""),
    VersionDefault((2, 6, 0), "!SSLv2"),
    VersionDefault((3, 1, 0), "!SSLv2, !SSLv3"),
    VersionDefault((3, 6, 0), ">=TLSv1"),
)
_RELAY_RESTRICTIONS = "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"
_CIPHERS = (
    VersionDefault((0, 0, 0), "export"),
    VersionDefault((3, 1, 0), "medium"),
)

#: Defaults that changed between Postfix releases, oldest first; they take precedence over
#: COMPAT_DEFAULTS. Sources: postconf(5) and the release notes. TLS protocols are
#: ``>=TLSv1`` since 3.6 and ``!SSLv2, !SSLv3`` (cipher grade ``medium``, before that
#: ``export``) since the 2015-07-21 change released with 3.1; before that the server's
#: opportunistic list was empty (all protocols), the client's ``!SSLv2`` (2.6+), and the
#: mandatory lists ``!SSLv2`` (2.10-3.0) or ``SSLv3, TLSv1`` (2.3-2.9).
#: ``smtp_tls_security_level`` is ``may`` from 3.11 on, at compatibility_level 3.11 or
#: higher. The SMTP smuggling defences (pipelining: 3.5.20, 3.6.10, 3.7.6, 3.8.1; bare
#: newlines: 3.5.23, 3.6.13, 3.7.9, 3.8.4) are off by default until 3.9.
VERSION_DEFAULTS: dict[str, tuple[VersionDefault, ...]] = {
    # 2.10 split relay control out of smtpd_recipient_restrictions; 3.0 made the new
    # default depend on compatibility_level (see COMPAT_DEFAULTS)
    "smtpd_relay_restrictions": (
        VersionDefault((0, 0, 0), ""),
        VersionDefault((2, 10, 0), _RELAY_RESTRICTIONS),
        VersionDefault((3, 0, 0), _RELAY_RESTRICTIONS, level="1", below=""),
    ),
    "smtpd_recipient_restrictions": (
        VersionDefault((0, 0, 0), "permit_mynetworks, reject_unauth_destination"),
        VersionDefault((2, 10, 0), ""),
    ),
    "smtp_tls_security_level": (
        VersionDefault((0, 0, 0), ""),
        VersionDefault((3, 11, 0), "may", level="3.11", below=""),
    ),
    "smtpd_tls_protocols": (
        VersionDefault((0, 0, 0), ""),
        VersionDefault((3, 1, 0), "!SSLv2, !SSLv3"),
        VersionDefault((3, 6, 0), ">=TLSv1"),
    ),
    "smtpd_tls_mandatory_protocols": _PROTOCOLS,
    "smtp_tls_protocols": _CLIENT_PROTOCOLS,
    "smtp_tls_mandatory_protocols": _PROTOCOLS,
    "lmtp_tls_protocols": _CLIENT_PROTOCOLS,
    "lmtp_tls_mandatory_protocols": _PROTOCOLS,
    "smtpd_tls_ciphers": _CIPHERS,
    "smtp_tls_ciphers": _CIPHERS,
    "lmtp_tls_ciphers": _CIPHERS,
    "smtpd_forbid_bare_newline": (
        VersionDefault((0, 0, 0), "no"),
        VersionDefault((3, 9, 0), "normalize"),
    ),
    "smtpd_forbid_unauth_pipelining": (
        VersionDefault((0, 0, 0), "no"),
        VersionDefault((3, 9, 0), "yes"),
    ),
}

#: Names whose default depends on ``compatibility_level`` (in some Postfix version).
COMPAT_DEPENDENT: frozenset[str] = frozenset(
    {c.name for c in COMPAT_DEFAULTS}
    | {name for name, rules in VERSION_DEFAULTS.items() if any(r.level for r in rules)}
    | {"mynetworks"}
)


@lru_cache(maxsize=4096)  # asked for the same few names once per listener
def default_for(
    name: str, compat_level: str, version: tuple[int, ...] = DEFAULT_VERSION
) -> str | None:
    """The raw default of ``name`` for a main.cf with this ``compatibility_level`` value
    (``"0"`` when main.cf sets none) on this Postfix version, or None for a name that is not
    a built-in parameter. Level-dependent defaults come back resolved (``"yes"``, not the
    ``${{$compatibility_level} <level ...}`` expression), other values unexpanded."""
    level = compat_level_tuple(compat_level)
    release = _version(version)
    rules = VERSION_DEFAULTS.get(name)
    if rules is not None:
        chosen = None
        for rule in rules:
            if release >= rule.since:
                chosen = rule
        if chosen is not None:
            if chosen.level is not None and level < compat_level_tuple(chosen.level):
                return chosen.below
            return chosen.value
    compat = _COMPAT_BY_NAME.get(name)
    if compat is not None:
        threshold = compat_level_tuple(compat.level)
        if release < _introduced(threshold) or level < threshold:
            return compat.below
        return _compat_value(name)
    if name == "mynetworks":
        style = default_for("mynetworks_style", compat_level, version) or "host"
        return MYNETWORKS_BY_STYLE.get(style, BUILTIN_DEFAULTS["mynetworks"])
    if name == "mail_version" and release[:2] != DATA_VERSION[:2]:
        return ".".join(str(part) for part in release)
    return BUILTIN_DEFAULTS.get(name)


# ---------------------------------------------------------------- deprecated names


@dataclass(frozen=True, slots=True)
class Deprecation:
    """An obsolete parameter name.

    ``replacement`` is a parameter name or, when there is none, advice that completes
    "instead, ..."; ``deprecated_in`` is the version that made the name obsolete (None when
    not documented) and ``removed_in`` the version that stopped knowing it.
    """

    replacement: str
    deprecated_in: str | None
    removed_in: str | None = None


_LEAVE_DEFAULT = "do not specify (leave at default)"

#: Obsolete parameter names: the ones Postfix 3.9 and later warn about, names renamed in
#: earlier releases (still honoured through the new name's default) and names postconf(5)
#: calls obsolete or removed.
DEPRECATED: dict[str, Deprecation] = {
    # TLS switches replaced by security levels (Postfix 2.3); warned about since 3.9
    "smtpd_use_tls": Deprecation("smtpd_tls_security_level", "3.9"),
    "smtpd_enforce_tls": Deprecation("smtpd_tls_security_level", "3.9"),
    "smtp_use_tls": Deprecation("smtp_tls_security_level", "3.9"),
    "smtp_enforce_tls": Deprecation("smtp_tls_security_level", "3.9"),
    "lmtp_use_tls": Deprecation("lmtp_tls_security_level", "3.9"),
    "lmtp_enforce_tls": Deprecation("lmtp_tls_security_level", "3.9"),
    "postscreen_use_tls": Deprecation("postscreen_tls_security_level", "3.9"),
    "postscreen_enforce_tls": Deprecation("postscreen_tls_security_level", "3.9"),
    "tlsproxy_use_tls": Deprecation("tlsproxy_tls_security_level", "3.9"),
    "tlsproxy_enforce_tls": Deprecation("tlsproxy_tls_security_level", "3.9"),
    "tlsproxy_client_use_tls": Deprecation("tlsproxy_client_security_level", "3.9"),
    "tlsproxy_client_enforce_tls": Deprecation("tlsproxy_client_security_level", "3.9"),
    "smtp_tls_enforce_peername": Deprecation("smtp_tls_security_level", "3.11"),
    "lmtp_tls_enforce_peername": Deprecation("lmtp_tls_security_level", "3.11"),
    "smtp_tls_per_site": Deprecation("smtp_tls_policy_maps", "3.9"),
    "lmtp_tls_per_site": Deprecation("lmtp_tls_policy_maps", "3.9"),
    "tlsproxy_client_per_site": Deprecation("tlsproxy_client_policy_maps", "3.9"),
    # ignored since 3.6 (EECDH grade, export-grade DH), or best left to OpenSSL (3.7+ built
    # with OpenSSL 3 picks DH parameters itself when the file is empty or "auto")
    "smtpd_tls_dh1024_param_file": Deprecation(_LEAVE_DEFAULT, "3.9"),
    "smtpd_tls_eecdh_grade": Deprecation(_LEAVE_DEFAULT, "3.9"),
    "tlsproxy_tls_dh1024_param_file": Deprecation(_LEAVE_DEFAULT, "3.9"),
    "tlsproxy_tls_eecdh_grade": Deprecation(_LEAVE_DEFAULT, "3.9"),
    "smtpd_tls_dh512_param_file": Deprecation(_LEAVE_DEFAULT, "3.6"),
    "tlsproxy_tls_dh512_param_file": Deprecation(_LEAVE_DEFAULT, "3.6"),
    "disable_dns_lookups": Deprecation("smtp_dns_support_level", "2.11"),
    # renamed; the new name's default still refers to the old one
    "virtual_maps": Deprecation("virtual_alias_maps", "2.0"),
    "authorized_verp_clients": Deprecation("smtpd_authorized_verp_clients", "2.1"),
    "fallback_relay": Deprecation("smtp_fallback_relay", "2.3"),
    "smtpd_client_connection_limit_exceptions": Deprecation(
        "smtpd_client_event_limit_exceptions", None
    ),
    "postscreen_dnsbl_ttl": Deprecation("postscreen_dnsbl_max_ttl", "3.1"),
    "postscreen_blacklist_action": Deprecation("postscreen_denylist_action", "3.6"),
    "postscreen_whitelist_interfaces": Deprecation("postscreen_allowlist_interfaces", "3.6"),
    "postscreen_dnsbl_whitelist_threshold": Deprecation(
        "postscreen_dnsbl_allowlist_threshold", "3.6"
    ),
    "smtpd_per_record_deadline": Deprecation("smtpd_per_request_deadline", "3.7"),
    "smtp_per_record_deadline": Deprecation("smtp_per_request_deadline", "3.7"),
    "lmtp_per_record_deadline": Deprecation("lmtp_per_request_deadline", "3.7"),
    "tlsproxy_client_level": Deprecation("tlsproxy_client_security_level", "3.7"),
    "tlsproxy_client_policy": Deprecation("tlsproxy_client_policy_maps", "3.7"),
    # obsolete features that postconf(5) still documents
    "maps_rbl_domains": Deprecation(
        'use "reject_rbl_client domain" in an SMTP access restriction list', None
    ),
    "sun_mailtool_compatibility": Deprecation('specify "mailbox_delivery_lock = dotlock"', None),
    "qmgr_fudge_factor": Deprecation("do not specify (only oqmgr(8) uses it)", None),
    # no longer known to Postfix
    "smtpd_sasl_application_name": Deprecation("smtpd_sasl_path", "2.3", "2.3"),
    "sender_based_routing": Deprecation("sender_dependent_relayhost_maps", "2.3", "2.3"),
    "smtp_tls_cipherlist": Deprecation("smtp_tls_mandatory_ciphers", "2.3", "2.3"),
    "smtpd_tls_cipherlist": Deprecation("smtpd_tls_mandatory_ciphers", "2.3", "2.3"),
    "enable_errors_to": Deprecation("do not specify (Errors-To: is ignored)", "2.1", "2.2"),
    "extract_recipient_limit": Deprecation("do not specify", None, "2.1"),
}

_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_]+")


def deprecation_message(name: str) -> str | None:
    """Postfix 3.9's warning for an obsolete name, e.g. ``support for parameter
    "smtpd_use_tls" will be removed; instead, specify "smtpd_tls_security_level"``."""
    entry = DEPRECATED.get(name)
    if entry is None:
        return None
    state = "has been removed" if entry.removed_in else "will be removed"
    if _PARAMETER_NAME.fullmatch(entry.replacement):
        instead = f'specify "{entry.replacement}"'
    else:
        instead = entry.replacement
    return f'support for parameter "{name}" {state}; instead, {instead}'


# ---------------------------------------------------------------- names postconf accepts

#: ``<service>_<suffix>`` names that a master.cf service creates, with their defaults
#: (``postconf -d`` lists them once the service exists).
SERVICE_SUFFIX_DEFAULTS: dict[str, str] = {
    "delivery_slot_cost": "$default_delivery_slot_cost",
    "delivery_slot_discount": "$default_delivery_slot_discount",
    "delivery_slot_loan": "$default_delivery_slot_loan",
    "destination_concurrency_failed_cohort_limit": (
        "$default_destination_concurrency_failed_cohort_limit"
    ),
    "destination_concurrency_limit": "$default_destination_concurrency_limit",
    "destination_concurrency_negative_feedback": (
        "$default_destination_concurrency_negative_feedback"
    ),
    "destination_concurrency_positive_feedback": (
        "$default_destination_concurrency_positive_feedback"
    ),
    "destination_rate_delay": "$default_destination_rate_delay",
    "destination_recipient_limit": "$default_destination_recipient_limit",
    "extra_recipient_limit": "$default_extra_recipient_limit",
    "initial_destination_concurrency": "$initial_destination_concurrency",
    "minimum_delivery_slots": "$default_minimum_delivery_slots",
    "recipient_limit": "$default_recipient_limit",
    "recipient_refill_delay": "$default_recipient_refill_delay",
    "recipient_refill_limit": "$default_recipient_refill_limit",
    "transport_rate_delay": "$default_transport_rate_delay",
    "time_limit": "$command_time_limit",
}

#: Every per-service suffix (without the joining underscore).
SERVICE_SUFFIXES: frozenset[str] = frozenset(SERVICE_SUFFIX_DEFAULTS)

_DELIVERY_SUFFIXES = SERVICE_SUFFIXES - {"time_limit"}

#: Which suffixes a service gets, by the command (first word of the master.cf command
#: field, exactly: a pathname does not count). The service type does not matter; other
#: commands (discard, smtpd, qmgr, ...) get none.
SERVICE_SUFFIXES_BY_COMMAND: dict[str, frozenset[str]] = {
    "smtp": _DELIVERY_SUFFIXES,
    "lmtp": _DELIVERY_SUFFIXES,
    "local": _DELIVERY_SUFFIXES,
    "virtual": _DELIVERY_SUFFIXES,
    "error": _DELIVERY_SUFFIXES,
    "pipe": SERVICE_SUFFIXES,
    "spawn": frozenset({"time_limit"}),
}

_LDAP = frozenset(
    {
        "bind",
        "bind_dn",
        "bind_pw",
        "cache",
        "cache_expiry",
        "cache_size",
        "chase_referrals",
        "debuglevel",
        "dereference",
        "domain",
        "expansion_limit",
        "leaf_result_attribute",
        "query_filter",
        "recursion_limit",
        "result_attribute",
        "result_filter",
        "result_format",
        "sasl_authz_id",
        "sasl_mechs",
        "sasl_minssf",
        "sasl_realm",
        "scope",
        "search_base",
        "server_host",
        "server_port",
        "size_limit",
        "special_result_attribute",
        "start_tls",
        "terminal_result_attribute",
        "timeout",
        "tls_ca_cert_dir",
        "tls_ca_cert_file",
        "tls_cert",
        "tls_cipher_suite",
        "tls_key",
        "tls_random_file",
        "tls_require_cert",
        "version",
    }
)
_SQL = frozenset(
    {
        "additional_conditions",
        "dbname",
        "domain",
        "expansion_limit",
        "hosts",
        "password",
        "query",
        "result_format",
        "select_field",
        "table",
        "user",
        "where_field",
    }
)

#: ``<table>_<suffix>`` names that a ``type:<table>`` reference anywhere in main.cf or
#: master.cf (also inside ``proxy:``, ``pipemap:{...}`` or a restriction list) makes known;
#: a table given as an absolute pathname creates none. postconf 3.7 knows no mongodb
#: suffixes (mongodb tables came with Postfix 3.9).
DATABASE_SUFFIXES: dict[str, frozenset[str]] = {
    "ldap": _LDAP,
    "mysql": _SQL
    | {
        "option_file",
        "option_group",
        "require_result_set",
        "tls_CAfile",
        "tls_CApath",
        "tls_cert_file",
        "tls_ciphers",
        "tls_key_file",
        "tls_verify_cert",
    },
    "pgsql": _SQL | {"select_function"},
    "sqlite": (_SQL - {"dbname", "hosts", "password", "user"}) | {"dbpath"},
    "memcache": frozenset(
        {
            "backup",
            "data_size_limit",
            "domain",
            "flags",
            "key_format",
            "line_size_limit",
            "max_try",
            "memcache",
            "retry_pause",
            "timeout",
            "ttl",
        }
    ),
    "mongodb": frozenset(),
}


def _as_set(value: str | Collection[str]) -> Collection[str]:
    return (value,) if isinstance(value, str) else value


def _service_suffix(
    name: str,
    service_names: Collection[str],
    service_commands: Mapping[str, str | Collection[str]],
) -> str | None:
    """The suffix that makes ``name`` a per-service name of a master.cf service, if any."""
    for suffix in SERVICE_SUFFIXES:
        if len(name) <= len(suffix) + 1 or not name.endswith(suffix):
            continue
        service = name[: -len(suffix)]
        if not service.endswith("_"):
            continue
        service = service[:-1]
        if service in service_commands:
            for command in _as_set(service_commands[service]):
                if suffix in SERVICE_SUFFIXES_BY_COMMAND.get(command, ()):
                    return suffix
        elif service in service_names:
            return suffix
    return None


def service_default(
    name: str,
    service_commands: Mapping[str, str | Collection[str]],
    service_names: Collection[str] = (),
) -> str | None:
    """The default of a per-service name (``relay_destination_rate_delay`` →
    ``$default_destination_rate_delay``), as ``postconf -d`` lists it once the service
    exists; None when ``name`` is not one. A built-in name keeps its built-in default
    (``local_destination_concurrency_limit`` is 2), so ask :func:`default_for` first."""
    suffix = _service_suffix(name, service_names, service_commands)
    return None if suffix is None else SERVICE_SUFFIX_DEFAULTS[suffix]


def classify(
    name: str,
    service_names: Collection[str],
    service_commands: Mapping[str, str | Collection[str]],
    database_tables: Mapping[str, str | Collection[str]],
) -> str | None:
    """How postconf knows ``name``: ``"builtin"``, ``"service"`` (``<service>_<suffix>`` for
    a master.cf service whose command takes that suffix), ``"database"``
    (``<table>_<suffix>`` for a table of a type that takes it), ``"legacy"`` (an old name a
    built-in default refers to, see :data:`LEGACY_PARAMETERS`), or None: a user-defined
    name, which postconf accepts only when some value refers to it.

    ``service_commands`` maps a service name to its command, or to all its commands when
    the name has several master.cf entries (postconf takes every entry into account, also
    one that a later entry with the same name and type replaces); a name in
    ``service_names`` without a known command takes any per-service suffix.
    ``database_tables`` maps a table name to its type (or types): ``{"users": "ldap"}`` for
    ``ldap:users``.
    """
    if name in BUILTIN_DEFAULTS:
        return "builtin"
    if name in LEGACY_PARAMETERS:
        return "legacy"
    if _service_suffix(name, service_names, service_commands) is not None:
        return "service"
    for table, kinds in database_tables.items():
        if name.startswith(table) and name[len(table) : len(table) + 1] == "_":
            suffix = name[len(table) + 1 :]
            for kind in _as_set(kinds):
                if suffix in DATABASE_SUFFIXES.get(kind, ()):
                    return "database"
    return None


@cache
def _suggestion_candidates() -> tuple[str, ...]:
    return tuple(sorted(BUILTIN_DEFAULTS))


@cache
def _candidates_by_letter() -> dict[str, tuple[str, ...]]:
    by_letter: dict[str, list[str]] = {}
    for candidate in _suggestion_candidates():
        by_letter.setdefault(candidate[0], []).append(candidate)
    return {letter: tuple(names) for letter, names in by_letter.items()}


@lru_cache(maxsize=1024)
def suggest(name: str) -> str | None:
    """The built-in parameter name closest to a misspelt ``name``, or None (cached: a fleet
    repeats the same typo on every host)."""
    lowered = name.lower()
    if lowered in BUILTIN_DEFAULTS:
        return lowered if lowered != name else None
    if not lowered:
        return None
    import difflib

    # A ratio of 0.8 needs lengths within a quarter of each other, and typos rarely hit
    # the first letter; comparing only such names keeps a file full of unknown names
    # from costing milliseconds per name.
    slack = len(lowered) // 4 + 1
    nearby = [
        c
        for c in _candidates_by_letter().get(lowered[0], ())
        if abs(len(c) - len(lowered)) <= slack
    ]
    matches = difflib.get_close_matches(lowered, nearby, n=1, cutoff=0.8)
    return matches[0] if matches else None
