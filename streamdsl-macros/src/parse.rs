//! Layer 1, parse: the `stream!` input as a syntax tree, every span kept.
//!
//! ```text
//! stream! {
//!     /// docs
//!     pub pipeline Name(param: Type, …) {
//!         batch = 1s;
//!         checkpoint [every 10s];            // needed by stateful operators
//!         input name: Type;                  // `&str` borrows records from the batch
//!         let name[: Type] = stream.op(…).op(…);
//!         stream.op(…).output(…);
//!     }
//! }
//! ```

use proc_macro2::{Span, TokenTree};
use syn::parse::discouraged::Speculative;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, Token, Type, Visibility, braced, parenthesized};

/// Every pipeline in one `stream!` invocation.
pub struct StreamMacro {
    /// The path of the `streamdsl` crate in generated code: `::streamdsl`, or what
    /// `#![streamdsl(crate = "…")]` says (for a crate that re-exports streamdsl).
    pub crate_path: syn::Path,
    pub pipelines: Vec<PipelineDecl>,
}

/// One pipeline. Its header is read before its body, and each statement of the body on its
/// own: a statement that does not parse is recorded in `errors` and skipped, so the others
/// (its inputs above all) still give the pipeline type its interface.
pub struct PipelineDecl {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub params: Vec<Param>,
    pub statements: Vec<Statement>,
    /// The statements that did not parse.
    pub errors: Vec<syn::Error>,
}

/// The interface of a pipeline type: everything code using the pipeline relies on.
pub struct Signature<'a> {
    pub attrs: &'a [Attribute],
    pub vis: &'a Visibility,
    pub name: &'a Ident,
    pub params: &'a [Param],
    pub inputs: Vec<(&'a Ident, &'a Type)>,
}

impl PipelineDecl {
    pub fn signature(&self) -> Signature<'_> {
        Signature {
            attrs: &self.attrs,
            vis: &self.vis,
            name: &self.name,
            params: &self.params,
            inputs: self
                .statements
                .iter()
                .filter_map(|s| match s {
                    Statement::Input { name, ty } => Some((name, ty)),
                    _ => None,
                })
                .collect(),
        }
    }
}

pub struct Param {
    pub name: Ident,
    pub ty: Type,
}

pub enum Statement {
    /// `batch = 1s;`
    Batch { keyword: Ident, value: Expr },
    /// `checkpoint;` or `checkpoint every 10s;`
    Checkpoint { keyword: Ident, every: Option<Expr> },
    /// `input lines: &str;`
    Input { name: Ident, ty: Type },
    /// `let name[: Type] = chain;`
    Let {
        name: Ident,
        ty: Option<Type>,
        chain: Chain,
    },
    /// `chain;` (must end in an output)
    Output { chain: Chain },
}

/// `root.method(args).method(args)…`
pub struct Chain {
    pub root: Ident,
    pub calls: Vec<Call>,
}

pub struct Call {
    pub method: Ident,
    pub args: Vec<Expr>,
    /// The whole `.method(args)` for errors about the call as a whole.
    pub span: Span,
}

impl Parse for StreamMacro {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut crate_path: syn::Path = syn::parse_quote!(::streamdsl);
        for attr in input.call(Attribute::parse_inner)? {
            if !attr.path().is_ident("streamdsl") {
                return Err(syn::Error::new_spanned(
                    attr,
                    "the only option of `stream!` is `#![streamdsl(crate = \"path::to::streamdsl\")]`",
                ));
            }
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("crate") {
                    crate_path = meta.value()?.parse::<syn::LitStr>()?.parse()?;
                    Ok(())
                } else {
                    Err(meta.error(
                        "unknown option; write `#![streamdsl(crate = \"path::to::streamdsl\")]`",
                    ))
                }
            })?;
        }
        let mut pipelines = Vec::new();
        while !input.is_empty() {
            pipelines.push(input.parse()?);
        }
        Ok(StreamMacro {
            crate_path,
            pipelines,
        })
    }
}

/// Skips the rest of a statement that did not parse: up to and including its `;`.
fn skip_statement(body: ParseStream) {
    let skipped = body.step(|cursor| {
        let mut rest = *cursor;
        while let Some((token, next)) = rest.token_tree() {
            rest = next;
            if matches!(&token, TokenTree::Punct(p) if p.as_char() == ';') {
                break;
            }
        }
        Ok(((), rest))
    });
    debug_assert!(skipped.is_ok(), "stepping over tokens cannot fail");
}

impl Parse for PipelineDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let keyword: Ident = input.parse()?;
        if keyword != "pipeline" {
            return Err(syn::Error::new(
                keyword.span(),
                format!("expected `pipeline`, found `{keyword}`; declare `pipeline Name {{ … }}`"),
            ));
        }
        let name: Ident = input.parse()?;
        let mut params = Vec::new();
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            let list = Punctuated::<Param, Token![,]>::parse_terminated(&content)?;
            params = list.into_iter().collect();
        }
        let body;
        braced!(body in input);
        let (mut statements, mut errors) = (Vec::new(), Vec::new());
        while !body.is_empty() {
            let statement = body.fork();
            match statement.parse() {
                Ok(parsed) => {
                    body.advance_to(&statement);
                    statements.push(parsed);
                }
                Err(e) => {
                    errors.push(e);
                    skip_statement(&body);
                }
            }
        }
        Ok(PipelineDecl {
            attrs,
            vis,
            name,
            params,
            statements,
            errors,
        })
    }
}

impl Parse for Param {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        Ok(Param {
            name,
            ty: input.parse()?,
        })
    }
}

impl Parse for Statement {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let statement = if input.peek(Token![let]) {
            input.parse::<Token![let]>()?;
            let name = input.parse()?;
            let ty = if input.peek(Token![:]) {
                input.parse::<Token![:]>()?;
                Some(input.parse()?)
            } else {
                None
            };
            input.parse::<Token![=]>()?;
            Statement::Let {
                name,
                ty,
                chain: input.parse()?,
            }
        } else if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let keyword: Ident = input.parse()?;
            if keyword != "batch" {
                return Err(syn::Error::new(
                    keyword.span(),
                    format!(
                        "unknown setting `{keyword}`; the pipeline settings are `batch = <duration>;` and `checkpoint [every <duration>];`"
                    ),
                ));
            }
            input.parse::<Token![=]>()?;
            Statement::Batch {
                keyword,
                value: input.parse()?,
            }
        } else if input.peek(Ident)
            && (input.peek2(Token![;]) || input.peek2(Ident))
            && input.fork().parse::<Ident>()? == "checkpoint"
        {
            let keyword: Ident = input.parse()?;
            let every = if input.peek(Token![;]) {
                None
            } else {
                let word: Ident = input.parse()?;
                if word != "every" {
                    return Err(syn::Error::new(
                        word.span(),
                        format!(
                            "expected `every` or `;` after `checkpoint`, found `{word}`: \
                             write `checkpoint;` or `checkpoint every 10s;`"
                        ),
                    ));
                }
                Some(input.parse()?)
            };
            Statement::Checkpoint { keyword, every }
        } else if input.peek(Ident)
            && input.peek2(Ident)
            && input.fork().parse::<Ident>()? == "input"
        {
            input.parse::<Ident>()?;
            let name = input.parse()?;
            input.parse::<Token![:]>()?;
            Statement::Input {
                name,
                ty: input.parse()?,
            }
        } else {
            Statement::Output {
                chain: input.parse()?,
            }
        };
        input.parse::<Token![;]>()?;
        Ok(statement)
    }
}

impl Parse for Chain {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let expr: Expr = input.parse()?;
        Chain::from_expr(expr)
    }
}

impl Chain {
    fn from_expr(expr: Expr) -> syn::Result<Chain> {
        match expr {
            Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                let root = p
                    .path
                    .get_ident()
                    .cloned()
                    .expect("checked: a single identifier");
                Ok(Chain {
                    root,
                    calls: Vec::new(),
                })
            }
            Expr::MethodCall(call) => {
                if let Some(turbofish) = &call.turbofish {
                    return Err(syn::Error::new(
                        turbofish.span(),
                        "stream operators take no type arguments; annotate the closure's parameters or the `let` instead",
                    ));
                }
                let span = call
                    .dot_token
                    .span
                    .join(call.paren_token.span.join())
                    .unwrap_or(call.method.span());
                let mut chain = Chain::from_expr(*call.receiver)?;
                chain.calls.push(Call {
                    method: call.method,
                    args: call.args.into_iter().collect(),
                    span,
                });
                Ok(chain)
            }
            other => Err(syn::Error::new(
                other.span(),
                "expected a stream expression: a stream name followed by operators, like `lines.flat_map(|l| l.split(' '))`",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_pipeline() {
        let m: StreamMacro = syn::parse_quote! {
            /// Counts.
            pub pipeline WordCount(min: u64) {
                batch = 1s;
                input lines: &str;
                let counts = lines.flat_map(|l| l.split(' ')).map(|w| (w, 1)).reduce_by_key(|a, b| a + b);
                counts.pprint();
            }
        };
        let p = &m.pipelines[0];
        assert!(p.errors.is_empty());
        assert_eq!(p.name, "WordCount");
        assert_eq!(p.params.len(), 1);
        assert_eq!(p.statements.len(), 4);
        let Statement::Let { chain, .. } = &p.statements[2] else {
            panic!("expected let")
        };
        let methods: Vec<_> = chain.calls.iter().map(|c| c.method.to_string()).collect();
        assert_eq!(chain.root, "lines");
        assert_eq!(methods, ["flat_map", "map", "reduce_by_key"]);
    }

    #[test]
    fn a_statement_that_does_not_parse_leaves_the_others() {
        let m: StreamMacro = syn::parse_quote! {
            pipeline P {
                batch = 1s;
                let broken = ;
                input lines: &str;
                lines.map(|l| l.len()) +;
                lines.pprint();
            }
        };
        let p = &m.pipelines[0];
        assert_eq!(p.errors.len(), 2);
        assert_eq!(p.statements.len(), 3);
        let inputs: Vec<String> = p
            .signature()
            .inputs
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        assert_eq!(inputs, ["lines"]);
    }

    #[test]
    fn crate_path_option() {
        let m: StreamMacro = syn::parse_quote! {
            #![streamdsl(crate = "my::streamdsl")]
            pipeline P { batch = 1s; }
        };
        let path = &m.crate_path;
        assert_eq!(quote::quote!(#path).to_string(), "my :: streamdsl");
        assert!(
            syn::parse_str::<StreamMacro>("#![streamdsl(krate = \"x\")] pipeline P {}").is_err()
        );
    }

    #[test]
    fn rejects_turbofish() {
        let r = syn::parse_str::<Statement>("let x = s.map::<u8>(f);");
        assert!(r.is_err());
    }
}
