//! Duration literals: `500ms`, `1s`, `1.5s`, `2min`, `1h`, checked at compile time.

use syn::{Expr, ExprLit, Lit};

/// Milliseconds of a duration literal, or a message saying what to write instead.
pub fn parse_duration(expr: &Expr) -> Result<u64, String> {
    let Expr::Lit(ExprLit { lit, .. }) = expr else {
        return Err(help("a duration must be a literal"));
    };
    let (digits, suffix) = match lit {
        Lit::Int(i) => (i.base10_digits().to_owned(), i.suffix().to_owned()),
        Lit::Float(f) => (f.base10_digits().to_owned(), f.suffix().to_owned()),
        _ => return Err(help("a duration must be a number with a unit")),
    };
    let per_unit: f64 = match suffix.as_str() {
        "ms" => 1.0,
        "s" => 1_000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "" => return Err(help(&format!("`{digits}` has no unit"))),
        other => return Err(help(&format!("unknown duration unit `{other}`"))),
    };
    let value: f64 = digits.parse().map_err(|_| help("not a number"))?;
    let millis = value * per_unit;
    if millis <= 0.0 {
        return Err("a duration must be greater than zero".into());
    }
    if millis.fract() != 0.0 || millis > u64::MAX as f64 {
        return Err(format!(
            "`{digits}{suffix}` is not a whole number of milliseconds"
        ));
    }
    Ok(millis as u64)
}

fn help(what: &str) -> String {
    format!(
        "{what}; write a duration as a number and a unit: `500ms`, `1s`, `1.5s`, `2min` or `1h`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(src: &str) -> Result<u64, String> {
        parse_duration(&syn::parse_str(src).unwrap())
    }

    #[test]
    fn units() {
        assert_eq!(ms("500ms"), Ok(500));
        assert_eq!(ms("1s"), Ok(1000));
        assert_eq!(ms("1.5s"), Ok(1500));
        assert_eq!(ms("2min"), Ok(120_000));
        assert_eq!(ms("1h"), Ok(3_600_000));
    }

    #[test]
    fn mistakes_say_what_to_write() {
        assert!(ms("5").unwrap_err().contains("has no unit"));
        assert!(
            ms("5sec")
                .unwrap_err()
                .contains("unknown duration unit `sec`")
        );
        assert!(ms("0s").unwrap_err().contains("greater than zero"));
        assert!(
            ms("0.0001s")
                .unwrap_err()
                .contains("whole number of milliseconds")
        );
        assert!(ms("x").unwrap_err().contains("must be a literal"));
    }
}
