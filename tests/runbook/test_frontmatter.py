"""Front matter: schema, typed errors, and lines of the file."""

from __future__ import annotations

from runbook_tui.runbook.parser import parse


def codes(text: str) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in parse(text).diagnostics]


def fm(body: str) -> str:
    return f"---\n{body}---\n\n# T\n\n```sh\necho hi\n```\n"


def test_front_matter_fields_reach_the_model() -> None:
    text = fm(
        "title: Restore\nkind: restore\nowner: dba\nrto: 1h30m\nrestores: [nightly]\n"
        "backups:\n  - name: nightly\n    path: /b/*.dump\n"
    )
    result = parse(text)
    rb = result.runbook
    assert (rb.title, rb.kind, rb.owner, rb.rto_seconds) == ("Restore", "restore", "dba", 5400)
    assert rb.restores == ("nightly",)
    assert result.diagnostics == []


def test_title_falls_back_to_first_level_one_heading() -> None:
    assert parse("## Sub\n\n# Main\n").runbook.title == "Main"


def test_title_falls_back_to_file_name_without_headings() -> None:
    assert parse("text only\n", path="runbooks/restore-db.md").runbook.title == "restore-db"


def test_yaml_syntax_error_is_reported_at_the_file_line() -> None:
    text = "---\ntitle: ok\nkind: [deploy\nowner: x\n---\n# T\n"
    result = parse(text)
    (diag,) = [d for d in result.diagnostics if d.code == "yaml-syntax"]
    # PyYAML notices the unclosed list at `owner: x`: front-matter line 3, file line 4.
    assert diag.severity == "error"
    assert (diag.line, diag.column) == (4, 6)


def test_yaml_error_line_counts_from_file_not_front_matter() -> None:
    text = "---\na: 1\nb: 2\nc: : :\n---\n"
    (diag,) = [d for d in parse(text).diagnostics if d.code == "yaml-syntax"]
    assert (diag.code, diag.line) == ("yaml-syntax", 4)


def test_invalid_date_in_yaml_is_a_syntax_error_not_a_crash() -> None:
    assert ("yaml-syntax", 2) in codes("---\ndate: 2024-13-45\n---\n# T\n")


def test_front_matter_that_is_not_a_mapping_is_an_error() -> None:
    assert ("frontmatter-type", 2) in codes("---\n- a\n- b\n---\n# T\n")


def test_unclosed_front_matter_is_a_warning_and_read_as_markdown() -> None:
    result = parse("---\ntitle: x\n\n# Heading\n")
    assert result.diagnostics[0].code == "frontmatter-unclosed"
    assert result.runbook.title == "Heading"


def test_unknown_front_matter_key_is_a_warning_at_its_line() -> None:
    assert ("unknown-key", 3) in codes(fm("title: x\nweight: 20\n"))


def test_duplicate_yaml_key_is_a_warning() -> None:
    assert ("duplicate-key", 3) in codes(fm("title: a\ntitle: b\n"))


def test_wrong_type_for_title_is_an_error() -> None:
    assert ("wrong-type", 2) in codes(fm("title: [a, b]\n"))


def test_unknown_runbook_kind_is_an_error() -> None:
    assert ("unknown-kind", 2) in codes(fm("kind: party\n"))


def test_bad_rto_duration_is_an_error() -> None:
    assert ("bad-value", 2) in codes(fm("rto: soon\n"))


def test_variables_parse_every_setting() -> None:
    text = fm(
        "variables:\n"
        "  ENV:\n    prompt: Which?\n    choices: [staging, prod]\n    default: prod\n"
        "  TOKEN:\n    secret: true\n    from_env: MY_TOKEN\n    required: false\n"
        "  TAG:\n    pattern: 'v\\d+'\n"
        "  SHORT: hello\n"
    )
    result = parse(text)
    assert result.diagnostics == []
    env, token, tag, short = result.runbook.variables
    assert (env.name, env.prompt, env.choices, env.default, env.line) == (
        "ENV",
        "Which?",
        ("staging", "prod"),
        "prod",
        3,
    )
    assert (token.secret, token.from_env, token.required) == (True, "MY_TOKEN", False)
    assert tag.pattern == "v\\d+"
    assert short.default == "hello"


def test_variable_name_must_be_an_environment_name() -> None:
    assert ("bad-value", 3) in codes(fm("variables:\n  my-var: {}\n"))


def test_variable_bad_regex_is_an_error_at_its_line() -> None:
    assert ("bad-value", 4) in codes(fm("variables:\n  A:\n    pattern: '('\n"))


def test_variable_default_outside_choices_is_an_error() -> None:
    assert ("bad-value", 4) in codes(fm("variables:\n  A:\n    default: x\n    choices: [y]\n"))


def test_an_unquoted_value_yaml_retypes_is_a_warning_at_its_line() -> None:
    text = fm(
        "variables:\n"
        "  VERSION: 1.10\n"
        "  MODE:\n    default: 0755\n"
        "  ENV:\n    default: yes\n    choices: [yes, 'no', 1.50]\n"
        "  QUOTED:\n    default: '1.10'\n"
        "  COUNT: 10\n"
        "  DEBUG: true\n"
    )
    result = parse(text)
    retyped = [(d.line, d.message) for d in result.diagnostics if d.code == "retyped-value"]
    assert [line for line, _ in retyped] == [3, 5, 7, 8, 8]
    assert 'YAML reads 1.10 as 1.1; quote it ("1.10")' in retyped[0][1]
    assert "0755 as 493" in retyped[1][1] and "yes as true" in retyped[2][1]
    variables = {v.name: v for v in result.runbook.variables}
    # The value is still the one YAML read: the warning says how to keep the text.
    assert variables["VERSION"].default == "1.1"
    assert variables["QUOTED"].default == "1.10"
    assert (variables["COUNT"].default, variables["DEBUG"].default) == ("10", "true")


def test_a_variable_name_yaml_reads_as_a_boolean_is_an_error() -> None:
    result = parse(fm("variables:\n  ON: 1\n  'OFF': 2\n"))
    [error] = [d for d in result.diagnostics if d.severity == "error"]
    assert (error.code, error.line) == ("bad-value", 2) and "quote the name" in error.message
    assert [v.name for v in result.runbook.variables] == ["OFF"]


def test_variable_secret_must_be_boolean() -> None:
    assert ("wrong-type", 4) in codes(fm("variables:\n  A:\n    secret: maybe\n"))


def test_variables_must_be_a_mapping() -> None:
    assert ("wrong-type", 2) in codes(fm("variables: [A, B]\n"))


def test_services_of_every_kind() -> None:
    text = fm(
        "services:\n"
        "  - {name: web, http: 'http://x/health', expect_status: 204, interval: 5s}\n"
        "  - {name: db, tcp: 'db:5432', timeout: 2s}\n"
        "  - {name: worker, process: 'worker --queue'}\n"
        "  - {name: probe, command: 'true'}\n"
        "  - {name: unit, systemd: app.service}\n"
    )
    result = parse(text)
    assert result.diagnostics == []
    kinds = [(s.name, s.check, s.line) for s in result.runbook.services]
    assert kinds == [
        ("web", "http", 3),
        ("db", "tcp", 4),
        ("worker", "process", 5),
        ("probe", "command", 6),
        ("unit", "systemd", 7),
    ]
    web, db = result.runbook.services[:2]
    assert (web.expect_status, web.interval_seconds, db.timeout_seconds) == (204, 5, 2)


def test_service_without_a_known_kind_is_an_error() -> None:
    found = codes(fm("services:\n  - name: web\n    ftp: x\n"))
    assert ("unknown-kind", 3) in found
    assert ("unknown-key", 4) not in found  # the kind error already says what is missing


def test_service_with_two_kinds_is_an_error() -> None:
    text = fm("services:\n  - name: web\n    http: x\n    tcp: y\n")
    # Reported at the second kind, the one to remove or move.
    assert ("conflicting-kind", 5) in codes(text)


def test_service_without_name_is_an_error() -> None:
    assert ("missing-field", 3) in codes(fm("services:\n  - http: 'http://x'\n"))


def test_tcp_service_needs_host_and_port() -> None:
    assert ("bad-value", 3) in codes(fm("services:\n  - {name: db, tcp: localhost}\n"))


def test_a_tcp_target_with_a_variable_is_judged_once_expanded() -> None:
    text = fm(
        "services:\n  - {name: db, tcp: '${DB_HOST}:${DB_PORT}'}\n  - {name: e, tcp: '${ADDR}'}\n"
    )
    assert codes(text) == []


def test_duplicate_service_names_are_an_error() -> None:
    text = fm("services:\n  - {name: a, systemd: x}\n  - {name: a, systemd: y}\n")
    assert ("duplicate-name", 4) in codes(text)


def test_logs_path_and_command() -> None:
    result = parse(
        fm(
            "logs:\n  - {name: app, path: /var/log/app/*.log}\n"
            "  - {name: k, command: kubectl logs -f x}\n"
        )
    )
    assert [(lg.name, lg.source, lg.target) for lg in result.runbook.logs] == [
        ("app", "path", "/var/log/app/*.log"),
        ("k", "command", "kubectl logs -f x"),
    ]


def test_log_with_unknown_kind_is_an_error() -> None:
    assert ("unknown-kind", 3) in codes(fm("logs:\n  - {name: app, url: x}\n"))


def test_backups_path_and_restic() -> None:
    text = fm(
        "backups:\n"
        "  - {name: dumps, path: /b/*.dump, max_age: 1d, min_count: 2}\n"
        "  - {name: repo, restic: /srv/restic, password_file: /etc/restic.pw}\n"
    )
    result = parse(text)
    assert result.diagnostics == []
    dumps, repo = result.runbook.backups
    assert (dumps.source, dumps.max_age_seconds, dumps.min_count) == ("path", 86400, 2)
    assert (repo.source, repo.password_file) == ("restic", "/etc/restic.pw")


def test_restic_backup_needs_a_password_source() -> None:
    assert ("missing-field", 3) in codes(fm("backups:\n  - {name: r, restic: /srv/r}\n"))


def test_backup_min_count_must_be_a_number() -> None:
    assert ("wrong-type", 3) in codes(fm("backups:\n  - {name: d, path: x, min_count: many}\n"))


def test_restores_naming_an_undeclared_backup_is_a_warning() -> None:
    assert ("unknown-backup", 2) in codes(fm("restores: [ghost]\n"))


def test_aliases_do_not_blow_up() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        bomb += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i > 1 else "*a"] * 9) + "]\n"
    result = parse(fm(bomb))
    assert {d.code for d in result.diagnostics} == {"unknown-key"}


def test_control_character_in_yaml_is_a_one_line_syntax_error() -> None:
    (diag,) = [d for d in parse("---\na: \x00\n---\n# T\n").diagnostics if d.code == "yaml-syntax"]
    assert (diag.line, diag.column) == (2, 4)
    assert "\n" not in diag.message


def test_python_tags_in_yaml_are_refused() -> None:
    text = "---\na: !!python/object/apply:os.system [echo hi]\n---\n# T\n"
    assert ("yaml-syntax", 2) in codes(text)


def test_runbook_kind_is_case_insensitive() -> None:
    assert parse(fm("kind: Deploy\n")).runbook.kind == "deploy"
