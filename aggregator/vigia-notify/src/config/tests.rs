use std::path::Path;

use super::{ConfigError, NotifyConfig, TemplateField};
use crate::config::Target;

fn write_secret(dir: &Path, name: &str, value: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, value).expect("write secret");
    path.display().to_string()
}

fn check(toml: &str) -> Result<crate::LoadedConfig, ConfigError> {
    NotifyConfig::from_toml(toml)?.load()
}

#[test]
fn a_full_config_loads_with_defaults_and_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let token = write_secret(dir.path(), "tg", "123456:ABC-def\n");
    let wa = write_secret(dir.path(), "wa", "  EAAG-token  ");
    let hook = write_secret(dir.path(), "hook", "s3cret");
    let config = check(&format!(
        r#"
        public_url = "https://vigia.example.net/"
        utc_offset = "-03:00"

        [[channels]]
        name = "noc-telegram"
        [channels.telegram]
        bot_token_file = "{token}"
        chat_id = -1001234567890
        [channels.route]
        min_affected = 10

        [[channels]]
        name = "noc-whatsapp"
        [channels.whatsapp]
        access_token_file = "{wa}"
        phone_number_id = 106540352242922
        to = "+5511999990000"
        template = "vigia_outage"
        language = "pt_BR"

        [[channels]]
        name = "tickets"
        [channels.webhook]
        url = "https://tickets.example.net/hooks/vigia"
        secret_file = "{hook}"
        headers = {{ "X-Tenant" = "isp-1" }}
        "#
    ))
    .expect("loads");

    assert_eq!(
        config.render.public_url.as_deref(),
        Some("https://vigia.example.net")
    );
    assert_eq!(config.render.max_logins, 20);
    assert_eq!(config.render.utc_offset.whole_minutes(), -180);
    assert_eq!(config.delivery.request_timeout.as_secs(), 10);
    assert_eq!(config.delivery.give_up_after.as_secs(), 86_400);
    assert_eq!(config.channels.len(), 3);

    let Target::Telegram(tg) = &config.channels[0].target else {
        panic!("telegram expected");
    };
    assert_eq!(tg.bot_token.expose(), "123456:ABC-def");
    assert_eq!(tg.chat_id, "-1001234567890");
    assert_eq!(tg.api_url, "https://api.telegram.org");
    assert_eq!(config.channels[0].route.min_affected, 10);
    assert_eq!(config.channels[0].route.kinds.len(), 3);

    let Target::WhatsApp(w) = &config.channels[1].target else {
        panic!("whatsapp expected");
    };
    assert_eq!(w.access_token.expose(), "EAAG-token");
    assert_eq!(w.to, "5511999990000");
    assert_eq!(w.phone_number_id, "106540352242922");
    assert_eq!(w.api_url, "https://graph.facebook.com");
    assert_eq!(w.api_version, "v21.0");
    assert_eq!(
        w.parameters,
        [
            TemplateField::Title,
            TemplateField::Cause,
            TemplateField::Down,
            TemplateField::Since,
            TemplateField::Link
        ]
    );

    let Target::Webhook(h) = &config.channels[2].target else {
        panic!("webhook expected");
    };
    assert_eq!(h.secret.expose(), "s3cret");
    assert_eq!(h.headers["X-Tenant"], "isp-1");

    // Secrets never show in Debug output.
    let shown = format!("{config:?}");
    for secret in ["ABC-def", "EAAG-token", "s3cret"] {
        assert!(!shown.contains(secret), "{secret} leaked in {shown}");
    }
}

#[test]
fn offsets_parse_as_minutes_or_text() {
    for (value, minutes) in [
        ("-180", -180),
        ("\"-03:00\"", -180),
        ("\"+05:30\"", 330),
        ("\"UTC-0300\"", -180),
        ("\"UTC\"", 0),
    ] {
        let config = NotifyConfig::from_toml(&format!("utc_offset = {value}")).expect(value);
        assert_eq!(config.utc_offset.minutes, minutes, "{value}");
    }
    for value in ["\"-3h\"", "\"+25:00\"", "900", "\"03:00\""] {
        let error = NotifyConfig::from_toml(&format!("utc_offset = {value}"))
            .expect_err(value)
            .to_string();
        assert!(error.contains("utc_offset"), "{value}: {error}");
    }
}

#[test]
fn unknown_fields_are_rejected_with_their_name() {
    let error = check("max_login = 5")
        .expect_err("unknown field")
        .to_string();
    assert!(error.contains("unknown field `max_login`"), "{error}");

    let error = check(
        r#"
        [[channels]]
        name = "x"
        [channels.telegram]
        bot_token_file = "/nonexistent"
        chat_id = 1
        chat = 2
        "#,
    )
    .expect_err("unknown field")
    .to_string();
    assert!(error.contains("unknown field `chat`"), "{error}");

    let error = check(
        r#"
        [[channels]]
        name = "x"
        webhook = { url = "http://h/", secret_env = "X" }
        route = { kinds = ["mass_outage"], notice = ["opened"] }
        "#,
    )
    .expect_err("unknown field")
    .to_string();
    assert!(error.contains("unknown field `notice`"), "{error}");

    let error = check(
        r#"
        [[channels]]
        name = "x"
        [channels.whatsapp]
        access_token_env = "X"
        phone_number_id = "1"
        to = "5511999990000"
        template = "t"
        language = "pt_BR"
        parameters = ["title", "weather"]
        "#,
    )
    .expect_err("unknown parameter")
    .to_string();
    assert!(error.contains("unknown variant `weather`"), "{error}");
}

#[test]
fn duplicate_channel_names_are_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secret = write_secret(dir.path(), "s", "x");
    let error = check(&format!(
        r#"
        [[channels]]
        name = "noc"
        webhook = {{ url = "http://127.0.0.1/a", secret_file = "{secret}" }}
        [[channels]]
        name = "noc"
        webhook = {{ url = "http://127.0.0.1/b", secret_file = "{secret}" }}
        "#
    ))
    .expect_err("duplicate");
    assert!(
        matches!(&error, ConfigError::DuplicateChannel { name } if name == "noc"),
        "{error}"
    );
    assert!(error.to_string().contains("\"noc\" is used more than once"));
}

#[test]
fn a_missing_secret_file_names_the_field_and_path() {
    let error = check(
        r#"
        [[channels]]
        name = "noc"
        telegram = { bot_token_file = "/nonexistent/vigia/token", chat_id = "1" }
        "#,
    )
    .expect_err("missing file");
    let text = error.to_string();
    assert!(matches!(error, ConfigError::SecretFile { .. }), "{text}");
    assert!(
        text.contains("channels[0] (noc).telegram.bot_token_file"),
        "{text}"
    );
    assert!(text.contains("/nonexistent/vigia/token"), "{text}");
}

#[test]
fn other_mistakes_are_explained() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secret = write_secret(dir.path(), "s", "x");
    let empty = write_secret(dir.path(), "empty", " \n");
    let cases = [
        (
            format!(r#"[[channels]]
name = "a"
telegram = {{ bot_token_file = "{secret}", bot_token_env = "T", chat_id = 1 }}"#),
            "set exactly one of `bot_token_file` and `bot_token_env`",
        ),
        (
            format!(r#"[[channels]]
name = "a"
webhook = {{ url = "http://h/", secret_file = "{secret}" }}
telegram = {{ bot_token_file = "{secret}", chat_id = 1 }}"#),
            "set exactly one of `telegram`, `whatsapp` and `webhook`",
        ),
        (
            "[[channels]]\nname = \"a\"".to_owned(),
            "set exactly one of `telegram`, `whatsapp` and `webhook`",
        ),
        (
            format!(r#"[[channels]]
name = "a b"
webhook = {{ url = "http://h/", secret_file = "{secret}" }}"#),
            "channels[0].name",
        ),
        (
            format!(r#"[[channels]]
name = "a"
webhook = {{ url = "ftp://h/", secret_file = "{secret}" }}"#),
            "must be an http:// or https:// URL",
        ),
        (
            format!(r#"[[channels]]
name = "a"
webhook = {{ url = "http://h/", secret_file = "{secret}", headers = {{ "X-Vigia-Signature" = "x" }} }}"#),
            "is set by Vigia",
        ),
        (
            format!(r#"[[channels]]
name = "a"
webhook = {{ url = "http://h/", secret_file = "{empty}" }}"#),
            "the secret is empty",
        ),
        (
            "[[channels]]\nname = \"a\"\nwebhook = { url = \"http://h/\", secret_env = \"VIGIA_NOTIFY_TEST_UNSET_VARIABLE\" }".to_owned(),
            "VIGIA_NOTIFY_TEST_UNSET_VARIABLE is not set",
        ),
        (
            format!(r#"[[channels]]
name = "a"
webhook = {{ url = "http://h/", secret_file = "{secret}" }}
route = {{ kinds = [] }}"#),
            "route.kinds: is empty",
        ),
        (
            format!(r#"[[channels]]
name = "a"
whatsapp = {{ access_token_file = "{secret}", phone_number_id = "1", to = "55-11", template = "t", language = "pt_BR" }}"#),
            "whatsapp.to",
        ),
        ("request_timeout_secs = 0".to_owned(), "request_timeout_secs"),
        ("public_url = \"vigia\"".to_owned(), "public_url"),
    ];
    for (toml, expected) in cases {
        let error = check(&toml).expect_err(&toml).to_string();
        assert!(error.contains(expected), "{toml}\n=> {error}");
    }
}
