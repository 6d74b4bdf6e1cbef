//! The wasm skin in headless Chromium (`CHROMEDRIVER` set, see `webdriver.json`).
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

// The relative request reaches the test runner's own server, which has no such path.
common::skin_tests!("http");
