//! The Prometheus text exposition format (version 0.0.4), written by hand: the agent exports a
//! few dozen numbers read at scrape time, which needs no registry.

use std::fmt::Write;

/// One scrape's worth of text.
#[derive(Default)]
pub(crate) struct Exposition {
    text: String,
}

impl Exposition {
    pub(crate) fn counter(&mut self, name: &str, help: &str, value: u64) {
        self.header(name, help, "counter");
        let _ = writeln!(self.text, "{name} {value}");
    }

    pub(crate) fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.header(name, help, "gauge");
        let _ = writeln!(self.text, "{name} {}", number(value));
    }

    /// A counter family with one label: `name{label="value"} n` per entry.
    pub(crate) fn counter_by(
        &mut self,
        name: &str,
        help: &str,
        label: &str,
        values: &[(&str, u64)],
    ) {
        self.header(name, help, "counter");
        for (value_of_label, value) in values {
            let _ = writeln!(
                self.text,
                "{name}{{{label}=\"{}\"}} {value}",
                escape(value_of_label)
            );
        }
    }

    pub(crate) fn finish(self) -> String {
        self.text
    }

    fn header(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(
            self.text,
            "# HELP {name} {}",
            help.replace('\\', "\\\\").replace('\n', "\\n")
        );
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }
}

fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{value}")
    }
}

fn escape(label_value: &str) -> String {
    label_value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_help_type_and_samples() {
        let mut e = Exposition::default();
        e.counter("vigia_x_total", "Things.\nMore", 3);
        e.gauge("vigia_y", "A gauge", 1.5);
        e.counter_by(
            "vigia_z_total",
            "By kind",
            "kind",
            &[("live", 1), ("a\"b", 2)],
        );
        assert_eq!(
            e.finish(),
            "# HELP vigia_x_total Things.\\nMore\n# TYPE vigia_x_total counter\nvigia_x_total 3\n\
             # HELP vigia_y A gauge\n# TYPE vigia_y gauge\nvigia_y 1.5\n\
             # HELP vigia_z_total By kind\n# TYPE vigia_z_total counter\n\
             vigia_z_total{kind=\"live\"} 1\nvigia_z_total{kind=\"a\\\"b\"} 2\n"
        );
    }

    #[test]
    fn special_floats_use_prometheus_spelling() {
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(0.25), "0.25");
    }
}
