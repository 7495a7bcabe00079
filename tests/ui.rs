//! Compile-fail suite: every file under `tests/ui/` is a small `stream!` program with one
//! mistake, and its `.stderr` holds the diagnostics the user sees for it (macro errors spanned
//! on the user's tokens, and rustc errors from the runtime's `#[diagnostic::on_unimplemented]`
//! marker traits). The toolchain is pinned in `rust-toolchain.toml` so that these `.stderr`
//! files stay stable; regenerate them with `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
