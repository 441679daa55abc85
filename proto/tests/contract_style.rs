//! Style rules of the contract, checked on the compiled descriptor (no `buf` needed): every
//! element is documented, enums follow the `ENUM_NAME_VALUE` / `_UNSPECIFIED = 0` convention,
//! names have the protobuf cases, and the file path matches the versioned package.

use std::collections::HashSet;

use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorProto, FileDescriptorSet};
use vigia_proto::{FILE_DESCRIPTOR_SET, decode};

// Field numbers of `FileDescriptorProto` / `DescriptorProto` etc. used in source-info paths.
const FILE_MESSAGE: i32 = 4;
const FILE_ENUM: i32 = 5;
const FILE_SERVICE: i32 = 6;
const MESSAGE_FIELD: i32 = 2;
const MESSAGE_NESTED: i32 = 3;
const MESSAGE_ENUM: i32 = 4;
const MESSAGE_ONEOF: i32 = 8;
const ENUM_VALUE: i32 = 2;
const SERVICE_METHOD: i32 = 2;

fn agent_proto() -> FileDescriptorProto {
    let set: FileDescriptorSet = decode(FILE_DESCRIPTOR_SET).expect("descriptor set decodes");
    set.file
        .into_iter()
        .find(|file| file.name() == "vigia/agent/v1/agent.proto")
        .expect("agent.proto is in the descriptor set")
}

/// Paths (in the source-info sense) of every element that has a leading comment.
fn documented(file: &FileDescriptorProto) -> HashSet<Vec<i32>> {
    let info = file.source_code_info.as_ref().expect("source info kept");
    info.location
        .iter()
        .filter(|l| {
            l.leading_comments
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty())
        })
        .map(|l| l.path.clone())
        .collect()
}

fn is_lower_snake(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_upper_camel(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

fn upper_snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn check_enum(
    e: &EnumDescriptorProto,
    path: Vec<i32>,
    docs: &HashSet<Vec<i32>>,
    problems: &mut Vec<String>,
) {
    let name = e.name();
    if !is_upper_camel(name) {
        problems.push(format!("enum {name} is not UpperCamelCase"));
    }
    if !docs.contains(&path) {
        problems.push(format!("enum {name} has no comment"));
    }
    let prefix = format!("{}_", upper_snake(name));
    for (i, value) in e.value.iter().enumerate() {
        if !value.name().starts_with(&prefix) {
            problems.push(format!("{name}.{} lacks the prefix {prefix}", value.name()));
        }
        if value.number() == 0 && value.name() != format!("{prefix}UNSPECIFIED") {
            problems.push(format!(
                "{name}: zero value is {}, not {prefix}UNSPECIFIED",
                value.name()
            ));
        }
        let mut value_path = path.clone();
        value_path.extend([ENUM_VALUE, i as i32]);
        if !docs.contains(&value_path) {
            problems.push(format!("{name}.{} has no comment", value.name()));
        }
    }
    if e.value.first().map(|v| v.number()) != Some(0) {
        problems.push(format!("enum {name} does not start with its zero value"));
    }
}

fn check_message(
    m: &DescriptorProto,
    path: Vec<i32>,
    docs: &HashSet<Vec<i32>>,
    problems: &mut Vec<String>,
) {
    let name = m.name();
    if !is_upper_camel(name) {
        problems.push(format!("message {name} is not UpperCamelCase"));
    }
    if !docs.contains(&path) {
        problems.push(format!("message {name} has no comment"));
    }
    for (i, field) in m.field.iter().enumerate() {
        if !is_lower_snake(field.name()) {
            problems.push(format!("{name}.{} is not lower_snake_case", field.name()));
        }
        let mut field_path = path.clone();
        field_path.extend([MESSAGE_FIELD, i as i32]);
        if !docs.contains(&field_path) {
            problems.push(format!("{name}.{} has no comment", field.name()));
        }
    }
    for (i, oneof) in m.oneof_decl.iter().enumerate() {
        // proto3 `optional` fields are synthetic oneofs named `_field`; only real ones count.
        if oneof.name().starts_with('_') {
            continue;
        }
        let mut oneof_path = path.clone();
        oneof_path.extend([MESSAGE_ONEOF, i as i32]);
        if !docs.contains(&oneof_path) {
            problems.push(format!("{name}.{} (oneof) has no comment", oneof.name()));
        }
    }
    for (i, nested) in m.nested_type.iter().enumerate() {
        let mut nested_path = path.clone();
        nested_path.extend([MESSAGE_NESTED, i as i32]);
        check_message(nested, nested_path, docs, problems);
    }
    for (i, nested) in m.enum_type.iter().enumerate() {
        let mut nested_path = path.clone();
        nested_path.extend([MESSAGE_ENUM, i as i32]);
        check_enum(nested, nested_path, docs, problems);
    }
}

#[test]
fn contract_follows_the_style_rules() {
    let file = agent_proto();
    let docs = documented(&file);
    let mut problems = Vec::new();

    assert_eq!(file.package(), "vigia.agent.v1");
    assert_eq!(file.syntax(), "proto3");
    for (i, message) in file.message_type.iter().enumerate() {
        check_message(message, vec![FILE_MESSAGE, i as i32], &docs, &mut problems);
    }
    for (i, e) in file.enum_type.iter().enumerate() {
        check_enum(e, vec![FILE_ENUM, i as i32], &docs, &mut problems);
    }
    for (i, service) in file.service.iter().enumerate() {
        if !docs.contains(&vec![FILE_SERVICE, i as i32]) {
            problems.push(format!("service {} has no comment", service.name()));
        }
        for (j, method) in service.method.iter().enumerate() {
            if !docs.contains(&vec![FILE_SERVICE, i as i32, SERVICE_METHOD, j as i32]) {
                problems.push(format!("rpc {} has no comment", method.name()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "style problems:\n{}",
        problems.join("\n")
    );
}

/// The checks above can fail: a descriptor with an undocumented, badly named enum is caught.
#[test]
fn the_style_check_catches_problems() {
    let bad = EnumDescriptorProto {
        name: Some("Color".into()),
        value: vec![prost_types::EnumValueDescriptorProto {
            name: Some("RED".into()),
            number: Some(0),
            options: None,
        }],
        ..Default::default()
    };
    let mut problems = Vec::new();
    check_enum(&bad, vec![FILE_ENUM, 99], &HashSet::new(), &mut problems);
    assert_eq!(
        problems,
        [
            "enum Color has no comment",
            "Color.RED lacks the prefix COLOR_",
            "Color: zero value is RED, not COLOR_UNSPECIFIED",
            "Color.RED has no comment",
        ]
    );
}

#[test]
fn the_service_is_one_bidirectional_stream() {
    let file = agent_proto();
    let [service] = file.service.as_slice() else {
        panic!("expected one service");
    };
    assert_eq!(service.name(), "AgentLink");
    let [connect] = service.method.as_slice() else {
        panic!("expected one rpc");
    };
    assert_eq!(connect.name(), "Connect");
    assert_eq!(connect.input_type(), ".vigia.agent.v1.AgentMessage");
    assert_eq!(connect.output_type(), ".vigia.agent.v1.AggregatorMessage");
    assert!(connect.client_streaming() && connect.server_streaming());
}
