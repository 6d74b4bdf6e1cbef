//! The wasm skin under Node: `wasm-bindgen-test-runner` runs these in Node.
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::wasm_bindgen_test;

// Node cannot fetch a relative URL, so the default transport's failure is a network error
// (with a page location faked so that the constructor allows relative mode).
common::skin_tests!("network");
