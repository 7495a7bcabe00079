//! The diagnostics collector: every layer records what it finds here and keeps going, so that
//! one `cargo build` reports all of a pipeline's mistakes at once. Levels follow rustc's:
//! errors stop the build; warnings are reported and the pipeline is still generated.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use std::fmt::Display;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Level {
    Error,
    Warning,
}

/// One finding, spanned on the user's token.
pub struct Diagnostic {
    pub level: Level,
    pub span: Span,
    pub message: String,
}

/// What was found so far.
#[derive(Default)]
pub struct Diagnostics {
    found: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records an error at `span`.
    pub fn error(&mut self, span: Span, message: impl Display) {
        self.push(Level::Error, span, message);
    }

    /// Records a warning at `span`.
    pub fn warning(&mut self, span: Span, message: impl Display) {
        self.push(Level::Warning, span, message);
    }

    fn push(&mut self, level: Level, span: Span, message: impl Display) {
        self.found.push(Diagnostic {
            level,
            span,
            message: message.to_string(),
        });
    }

    /// Records errors from the parser.
    pub fn extend(&mut self, errors: impl IntoIterator<Item = syn::Error>) {
        for error in errors {
            for single in error {
                self.error(single.span(), single);
            }
        }
    }

    pub fn has_errors(&self) -> bool {
        self.found.iter().any(|d| d.level == Level::Error)
    }

    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.found.iter()
    }

    /// Errors as `compile_error!` invocations; warnings as the use of a deprecated item
    /// whose note is the message (stable Rust has no other way for a macro to warn), which
    /// rustc reports as a warning at the span.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.found
            .iter()
            .map(|d| match d.level {
                Level::Error => syn::Error::new(d.span, &d.message).to_compile_error(),
                Level::Warning => {
                    let note = &d.message;
                    quote_spanned! {d.span=>
                        const _: () = {
                            #[deprecated(note = #note)]
                            struct StreamdslWarning;
                            let _ = StreamdslWarning;
                        };
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_do_not_stop_the_build() {
        let mut diags = Diagnostics::default();
        diags.warning(Span::call_site(), "a window of one batch is its parent");
        assert!(!diags.has_errors());
        let code = diags.to_compile_errors().to_string();
        assert!(code.contains("deprecated"), "{code}");
        assert!(!code.contains("compile_error"), "{code}");
        diags.error(Span::call_site(), "no input");
        assert!(diags.has_errors());
        assert_eq!(diags.iter().count(), 2);
    }
}
