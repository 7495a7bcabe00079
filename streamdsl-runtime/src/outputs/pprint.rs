//! `pprint([n])`: prints the first `n` records (default 10) of each batch in PySpark's format
//! (spec 8.1): a line of 43 dashes, `Time: <local date and time>`, dashes again, one record per
//! line, `...` when there are more than `n`, then an empty line.
//!
//! A record is printed as PySpark prints it, Python's `str(record)`, for the record types a
//! PySpark program has: a string as is (`zoo`), numbers as Python writes them (`1.0`,
//! `1e+16`), `true`/`false` as `True`/`False`, an `Option` as its value or `None`, tuples and
//! `Vec`s with Python's `repr` of each element (`('a', 1)`, `['x', 'y']`). Any other type (a
//! user's struct) is printed with its `Debug`.

use super::{OutputContext, OutputRecord};
use crate::Batch;
use std::fmt::Write;
use std::marker::PhantomData;

const DASHES: &str = "-------------------------------------------";

/// How one record becomes its line.
pub type Render<T> = fn(&T, &mut String);

/// Prints the batch, each record through `render` (see [`renderer`]), or with its `Debug`.
pub fn run<T: OutputRecord>(
    out: &mut OutputContext<'_>,
    batch: &Batch<T>,
    num: usize,
    render: Option<Render<T>>,
) -> std::io::Result<()> {
    let render = render.unwrap_or(|record, out| {
        let _ = write!(out, "{record:?}");
    });
    let time = out.time().to_datetime_string(out.time_zone());
    let mut text = format!("{DASHES}\nTime: {time}\n{DASHES}\n");
    let mut records = batch.iter();
    for r in records.by_ref().take(num) {
        render(r, &mut text);
        text.push('\n');
    }
    if records.next().is_some() {
        text.push_str("...\n");
    }
    text.push('\n');
    std::io::Write::write_all(out.console(), text.as_bytes())
}

/// Python's `str()` and `repr()` of a value, for the types PySpark programs print: how
/// `pprint` shows a record. Implement it for a type of yours to have it shown your way
/// instead of with its `Debug`:
///
/// ```
/// use streamdsl_runtime::PySparkText;
///
/// /// Shown as Python shows a `datetime.date`.
/// struct Day(u32, u32, u32);
///
/// impl PySparkText for Day {
///     fn python_repr(&self, out: &mut String) {
///         out.push_str(&format!("datetime.date({}, {}, {})", self.0, self.1, self.2));
///     }
/// }
///
/// let mut text = String::new();
/// ("day", Day(2026, 12, 3)).python_str(&mut text);
/// assert_eq!(text, "('day', datetime.date(2026, 12, 3))");
/// ```
pub trait PySparkText {
    /// `str(self)`: what `print` shows.
    fn python_str(&self, out: &mut String) {
        self.python_repr(out)
    }
    /// `repr(self)`: how it shows inside a tuple or a list.
    fn python_repr(&self, out: &mut String);
}

/// The renderer of records of type `T`: [`PySparkText`] if `T` has it, else none (`run`
/// uses `Debug`). Chosen where the record type is known: the generated code calls
/// `(&&renderer(batch)).render()` with [`ViaPySpark`] and [`ViaDebug`] in scope, and method
/// resolution takes `ViaPySpark`'s impl (on `&Renderer`) when it applies.
#[doc(hidden)]
pub fn renderer<T>(_: &Batch<T>) -> Renderer<T> {
    Renderer(PhantomData)
}

#[doc(hidden)]
pub struct Renderer<T>(PhantomData<T>);

/// Picked first, when the record type has Python's text.
#[doc(hidden)]
pub trait ViaPySpark<T> {
    fn render(&self) -> Option<Render<T>>;
}

impl<T: PySparkText> ViaPySpark<T> for &Renderer<T> {
    fn render(&self) -> Option<Render<T>> {
        Some(|record, out| record.python_str(out))
    }
}

/// The fallback, for any type: `run` prints with `Debug` (and requires it, with a clear
/// error, as every output does).
#[doc(hidden)]
pub trait ViaDebug<T> {
    fn render(&self) -> Option<Render<T>>;
}

impl<T> ViaDebug<T> for Renderer<T> {
    fn render(&self) -> Option<Render<T>> {
        None
    }
}

/// Python's `repr` of a string: single quotes unless the text has one and no double quote,
/// backslash escapes for the quote, `\\`, `\n`, `\r`, `\t` and other control characters.
fn python_string_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

macro_rules! strings {
    ($($t:ty),*) => {$(
        impl PySparkText for $t {
            fn python_str(&self, out: &mut String) {
                out.push_str(self);
            }
            fn python_repr(&self, out: &mut String) {
                python_string_repr(self, out);
            }
        }
    )*};
}
strings!(str, String, crate::Text, std::borrow::Cow<'_, str>);

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl PySparkText for $t {
            fn python_repr(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
integers!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

macro_rules! floats {
    ($($t:ty),*) => {$(
        impl PySparkText for $t {
            /// Python's shortest round-trip form: `1.0`, `0.1`, `1e+16`, `1e-05`, `nan`, `inf`.
            fn python_repr(&self, out: &mut String) {
                let x = *self;
                if x.is_nan() {
                    out.push_str("nan");
                } else if x.is_infinite() {
                    out.push_str(if x > 0.0 { "inf" } else { "-inf" });
                } else if x != 0.0 && (x.abs() >= 1e16 || x.abs() < 1e-4) {
                    let scientific = format!("{x:e}");
                    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
                    let exponent: i32 = exponent.parse().unwrap_or(0);
                    let sign = if exponent < 0 { '-' } else { '+' };
                    let _ = write!(out, "{mantissa}e{sign}{:02}", exponent.abs());
                } else {
                    let _ = write!(out, "{x:?}");
                }
            }
        }
    )*};
}
floats!(f32, f64);

impl PySparkText for bool {
    fn python_repr(&self, out: &mut String) {
        out.push_str(if *self { "True" } else { "False" });
    }
}

impl PySparkText for char {
    fn python_str(&self, out: &mut String) {
        out.push(*self);
    }
    fn python_repr(&self, out: &mut String) {
        python_string_repr(self.encode_utf8(&mut [0; 4]), out);
    }
}

impl<T: PySparkText + ?Sized> PySparkText for &T {
    fn python_str(&self, out: &mut String) {
        (**self).python_str(out)
    }
    fn python_repr(&self, out: &mut String) {
        (**self).python_repr(out)
    }
}

/// PySpark has no `Some`: a present value is the value, an absent one `None`.
impl<T: PySparkText> PySparkText for Option<T> {
    fn python_str(&self, out: &mut String) {
        match self {
            Some(v) => v.python_str(out),
            None => out.push_str("None"),
        }
    }
    fn python_repr(&self, out: &mut String) {
        match self {
            Some(v) => v.python_repr(out),
            None => out.push_str("None"),
        }
    }
}

impl<T: PySparkText> PySparkText for Vec<T> {
    fn python_repr(&self, out: &mut String) {
        out.push('[');
        for (k, v) in self.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            v.python_repr(out);
        }
        out.push(']');
    }
}

macro_rules! tuples {
    ($(($($t:ident $i:tt),+))*) => {$(
        impl<$($t: PySparkText),+> PySparkText for ($($t,)+) {
            fn python_repr(&self, out: &mut String) {
                out.push('(');
                let mut first = true;
                $(
                    if !std::mem::take(&mut first) {
                        out.push_str(", ");
                    }
                    self.$i.python_repr(out);
                )+
                // Python writes a one-element tuple `(x,)`.
                if [$($i),+].len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
        }
    )*};
}
tuples! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Time;

    // How the generated code picks a renderer: Python's text where the type has one.
    #[allow(unused_imports)]
    use super::{ViaDebug as _, ViaPySpark as _};

    fn printed<T: OutputRecord>(
        batch: &Batch<T>,
        num: usize,
        millis: i64,
        render: Option<Render<T>>,
    ) -> String {
        let mut text = Vec::new();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut out =
            OutputContext::for_test(runtime.handle(), &mut text, Time::from_millis(millis));
        run(&mut out, batch, num, render).unwrap();
        String::from_utf8(text).unwrap()
    }

    /// `printed` with the renderer the generated code would pick: a macro, as the pick needs
    /// the concrete record type.
    macro_rules! printed {
        ($batch:expr, $num:expr, $millis:expr) => {{
            let batch = $batch;
            printed(&batch, $num, $millis, (&&renderer(&batch)).render())
        }};
    }

    /// One record's line.
    macro_rules! line_of {
        ($record:expr) => {
            printed!(Batch::from(vec![$record]), 10, 1000)
                .lines()
                .nth(3)
                .unwrap()
                .to_owned()
        };
    }

    #[test]
    fn tv1_format() {
        let text = printed!(Batch::from(vec![2, 4, 6]), 10, 1000);
        assert_eq!(
            text,
            format!("{DASHES}\nTime: 1970-01-01 00:00:01\n{DASHES}\n2\n4\n6\n\n")
        );
    }

    #[test]
    fn tv1_truncation() {
        let abc = printed!(Batch::from(vec!["a", "b", "c"]), 2, 1000);
        assert!(abc.ends_with("\na\nb\n...\n\n"), "{abc}");
        let ab = printed!(Batch::from(vec!["a", "b"]), 2, 1000);
        assert!(ab.ends_with("\na\nb\n\n"), "{ab}");
    }

    #[test]
    fn tv2_empty_batch_prints_header_only() {
        let text = printed!(Batch::<i32>::empty(), 10, 2000);
        assert_eq!(
            text,
            format!("{DASHES}\nTime: 1970-01-01 00:00:02\n{DASHES}\n\n")
        );
    }

    #[test]
    fn num_zero_prints_ellipsis_if_any() {
        assert!(printed!(Batch::from(vec![1]), 0, 1000).ends_with(&format!("{DASHES}\n...\n\n")));
    }

    #[test]
    fn sub_second_times_show_microseconds() {
        assert!(
            printed!(Batch::<i32>::empty(), 1, 1500).contains("Time: 1970-01-01 00:00:01.500000\n")
        );
    }

    #[test]
    fn records_print_as_python_prints_them() {
        assert_eq!(line_of!("zoo"), "zoo");
        assert_eq!(line_of!(("a".to_owned(), 1u64)), "('a', 1)");
        assert_eq!(line_of!(("it's", "say \"hi\"")), "(\"it's\", 'say \"hi\"')");
        assert_eq!(line_of!(("tab\there", '\\')), "('tab\\there', '\\\\')");
        assert_eq!(
            line_of!((1.0f64, 0.1f64, 1e16f64, 1e-5f64)),
            "(1.0, 0.1, 1e+16, 1e-05)"
        );
        assert_eq!(line_of!((f64::NAN, f64::NEG_INFINITY)), "(nan, -inf)");
        assert_eq!(line_of!((true, None::<i64>)), "(True, None)");
        assert_eq!(line_of!(Some("x")), "x");
        assert_eq!(
            line_of!(("k", (Some(2), None::<String>))),
            "('k', (2, None))"
        );
        assert_eq!(line_of!(("k", vec!["x", "y"])), "('k', ['x', 'y'])");
        assert_eq!(line_of!((7,)), "(7,)");
    }

    #[test]
    fn other_types_print_with_debug() {
        #[derive(Debug)]
        #[allow(dead_code)] // read through its Debug only
        struct Hit {
            path: &'static str,
        }
        assert_eq!(line_of!(Hit { path: "/" }), "Hit { path: \"/\" }");
        assert_eq!(
            line_of!(("k", Hit { path: "/" })),
            "(\"k\", Hit { path: \"/\" })"
        );
    }
}
