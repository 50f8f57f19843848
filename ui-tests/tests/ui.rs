//! Compile-pass and compile-fail cases of oxtor's macros, one test per macro. The `.stderr`
//! snapshots belong to the pinned toolchain; regenerate them with `TRYBUILD=overwrite` and read
//! the diff.

#[rustversion::attr(not(stable(1.95)), ignore = "stderr pinned to 1.95")]
#[test]
fn route() {
    let t = trybuild::TestCases::new();
    t.pass("tests/route/pass/*.rs");
    t.compile_fail("tests/route/fail/*.rs");
}

#[rustversion::attr(not(stable(1.95)), ignore = "stderr pinned to 1.95")]
#[test]
fn routing() {
    let t = trybuild::TestCases::new();
    t.pass("tests/routing/pass/*.rs");
    t.compile_fail("tests/routing/fail/*.rs");
}

#[rustversion::attr(not(stable(1.95)), ignore = "stderr pinned to 1.95")]
#[test]
fn install() {
    let t = trybuild::TestCases::new();
    t.pass("tests/install/pass/*.rs");
    t.compile_fail("tests/install/fail/*.rs");
}

#[rustversion::attr(not(stable(1.95)), ignore = "stderr pinned to 1.95")]
#[test]
fn auth() {
    let t = trybuild::TestCases::new();
    t.pass("tests/auth/pass/*.rs");
    t.compile_fail("tests/auth/fail/*.rs");
}

#[rustversion::attr(not(stable(1.95)), ignore = "stderr pinned to 1.95")]
#[test]
fn http_client() {
    let t = trybuild::TestCases::new();
    t.pass("tests/http_client/pass/*.rs");
    t.compile_fail("tests/http_client/fail/*.rs");
}

#[rustversion::attr(not(stable(1.95)), ignore = "stderr pinned to 1.95")]
#[test]
fn html() {
    let t = trybuild::TestCases::new();
    t.pass("tests/html/pass/*.rs");
    t.compile_fail("tests/html/fail/*.rs");
}

#[rustversion::attr(not(stable(1.95)), ignore = "stderr pinned to 1.95")]
#[test]
fn resources() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/resources/fail/*.rs");
}
