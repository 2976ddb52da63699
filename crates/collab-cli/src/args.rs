//! Command-line arguments, parsed by hand (a handful of flags needs no framework).

use collab_core::model::{ModelKind, ModelSpec};
use collab_core::train::{FitSettings, Schedule, limits};

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Train and print fastai's table.
    Train,
    /// The reference run, timed.
    Bench,
}

pub const USAGE: &str = "usage:
  collab train <ml-100k.zip | directory with u.data (+u.item) or ratings.csv (+movies.csv)>
        [--model dot|dotbias|scratch|nn|embnn] [--epochs 5] [--lr 5e-3] [--wd 0.1] [--factors 50] [--seed 42]
        [--device flex|wgpu]
  collab bench [ml-100k.zip | directory] [--device flex|wgpu]
        (default: data/ml-100k.zip, else generated data of the same size; wgpu needs a build with --features wgpu)";

/// Parsed arguments.
#[derive(Debug, Clone)]
pub struct Args {
    pub command: Command,
    pub path: Option<String>,
    pub model: ModelKind,
    pub factors: usize,
    pub seed: u64,
    pub fit: FitSettings,
    pub device: crate::device::Choice,
}

impl Args {
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let command = match args.first().map(String::as_str) {
            Some("train") => Command::Train,
            Some("bench") => Command::Bench,
            Some(other) => return Err(format!("unknown command '{other}'")),
            None => return Err("no command given".into()),
        };
        let mut parsed = Args {
            command,
            path: None,
            model: ModelKind::DotProductBias,
            factors: 50,
            seed: 42,
            fit: FitSettings::default(),
            device: crate::device::Choice::Flex,
        };
        let mut lr = 5e-3;
        let mut rest = args[1..].iter();
        while let Some(arg) = rest.next() {
            let mut value = |name: &str| rest.next().cloned().ok_or(format!("{name} needs a value"));
            match arg.as_str() {
                "--model" => parsed.model = value("--model")?.parse()?,
                "--epochs" => parsed.fit.epochs = number(&value("--epochs")?, "--epochs")?,
                "--lr" => lr = number(&value("--lr")?, "--lr")?,
                "--wd" => parsed.fit.optim.wd = number(&value("--wd")?, "--wd")?,
                "--factors" => parsed.factors = number(&value("--factors")?, "--factors")?,
                "--seed" => parsed.seed = number(&value("--seed")?, "--seed")?,
                "--device" => parsed.device = value("--device")?.parse()?,
                flag if flag.starts_with("--") => return Err(format!("unknown option '{flag}'")),
                path if parsed.path.is_none() => parsed.path = Some(path.to_string()),
                extra => return Err(format!("unexpected argument '{extra}'")),
            }
        }
        if command == Command::Train && parsed.path.is_none() {
            return Err("train needs a MovieLens zip or directory".into());
        }
        parsed.fit.schedule = Schedule::OneCycle { lr_max: lr };
        parsed.fit.seed = parsed.seed;
        // The same checks as the page's controls (the data-dependent ones come later).
        let spec = ModelSpec { n_factors: parsed.factors, ..ModelSpec::new(parsed.model, 2, 2) };
        limits::fit(&spec, &parsed.fit)?;
        Ok(parsed)
    }
}

fn number<T: std::str::FromStr>(text: &str, flag: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("{flag}: '{text}' is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, String> {
        Args::parse(&line.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn settings_that_cannot_train_are_refused() {
        assert!(parse("train d").is_ok());
        for bad in ["--lr 1e9", "--lr -1", "--lr NaN", "--lr inf", "--lr 0", "--wd NaN", "--wd 1e300", "--wd -5"] {
            let err = parse(&format!("train d {bad}")).unwrap_err();
            assert!(err.contains("learning rate") || err.contains("weight decay"), "{bad}: {err}");
        }
        assert!(parse("train d --epochs 0").unwrap_err().contains("epochs"));
        assert!(parse("train d --factors 0").unwrap_err().contains("factors"));
        assert!(parse("train d --factors 100000").unwrap_err().contains("factors"));
    }

    #[test]
    fn the_device_is_flex_unless_named() {
        use crate::device::Choice;
        assert_eq!(parse("bench").unwrap().device, Choice::Flex);
        assert_eq!(parse("bench --device wgpu").unwrap().device, Choice::Wgpu);
        assert!(parse("bench --device tpu").unwrap_err().contains("'tpu' is not a device (flex or wgpu)"));
        // Without the wgpu feature, asking for it says how to build it.
        #[cfg(not(feature = "wgpu"))]
        assert!(Choice::Wgpu.device().unwrap_err().contains("--features wgpu"));
    }
}
