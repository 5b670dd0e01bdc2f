//! Every built-in plugin's validation, through the real Wasm host: each case of
//! `plugins/testdata/validation_cases.json` (valid examples, each field wrong alone, several
//! wrong at once) must report exactly the listed field paths, all at once.

use crate::common;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use sgsched::jobsystem::Unavailable;
use sgsched::plugins::{PluginHost, PluginHostConfig};

const BUILT_INS: [&str; 6] = [
    "batch_generation",
    "caption_generation",
    "export",
    "script_generation",
    "thumbnail_generation",
    "video_generation",
];

async fn host() -> PluginHost {
    PluginHost::load(PluginHostConfig::default(), Arc::new(Unavailable))
        .await
        .unwrap()
}

#[tokio::test]
async fn every_case_reports_exactly_its_fields() {
    let path = common::repo_root().join("plugins/testdata/validation_cases.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let h = host().await;
    let mut per_type: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        let job_type = case["job_type"].as_str().unwrap();
        let name = case["name"].as_str().unwrap();
        let mut expected: Vec<String> = case["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_string())
            .collect();
        expected.sort();
        let got = match h.validate(job_type, &case["config"]).await.unwrap() {
            Ok(()) => Vec::new(),
            Err(errors) => {
                assert!(
                    errors.iter().all(|e| !e.message.is_empty()),
                    "{job_type}/{name}: empty message"
                );
                let mut f: Vec<String> = errors.into_iter().map(|e| e.field).collect();
                f.sort();
                f
            }
        };
        let entry = per_type.entry(job_type.to_string()).or_default();
        entry.0 += 1;
        if expected.len() > 1 {
            entry.1 += 1;
        }
        if got != expected {
            failures.push(format!(
                "{job_type}/{name}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for t in BUILT_INS {
        let (n, multi) = per_type.get(t).copied().unwrap_or_default();
        assert!(n >= 8, "{t}: only {n} cases");
        assert!(multi >= 1, "{t}: no case with several errors at once");
    }
}

#[tokio::test]
async fn every_example_config_is_valid_and_every_schema_is_an_object_schema() {
    let h = host().await;
    let mut seen = Vec::new();
    for p in h.plugins() {
        seen.push(p.job_type.clone());
        assert_eq!(
            h.validate(&p.job_type, &p.example_config).await.unwrap(),
            Ok(()),
            "{}",
            p.job_type
        );
        assert_eq!(p.config_schema["type"], "object", "{}", p.job_type);
        // Something is required: a `required` list, or a choice between fields (`oneOf` etc.).
        let required = p.config_schema["required"]
            .as_array()
            .is_some_and(|r| !r.is_empty());
        let choice = ["oneOf", "anyOf", "allOf"]
            .iter()
            .any(|k| p.config_schema.get(*k).is_some());
        assert!(required || choice, "{}: nothing required", p.job_type);
        assert_eq!(
            p.config_schema["additionalProperties"], false,
            "{}",
            p.job_type
        );
        assert_eq!(p.version, "0.1.0");
        assert!(!p.description.is_empty());
    }
    seen.sort();
    assert_eq!(seen, BUILT_INS);
}

#[tokio::test]
async fn non_objects_are_one_error_on_the_whole_config() {
    let h = host().await;
    for t in BUILT_INS {
        for bad in [
            Value::Null,
            Value::from(3),
            Value::from("x"),
            serde_json::json!([1, 2]),
        ] {
            let errors = h.validate(t, &bad).await.unwrap().unwrap_err();
            assert_eq!(errors.len(), 1, "{t} {bad}");
            assert_eq!(errors[0].field, "", "{t} {bad}");
        }
    }
}
