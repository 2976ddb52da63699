//! Command-line arguments: clap for the grammar and `--help`, the core's settings path
//! ([`collab_core::settings`]) for every setting, so that `--lr NaN` is refused in the
//! words the page uses for a typed or linked one, and each option is named as the page's
//! address names it (`--bs` as `?bs=`).

use clap::{Arg, ArgAction, ArgMatches, Command as Cli};
use collab_core::data::Release;
use collab_core::settings::{DeviceChoice, Key, Settings, Texts};

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Train and print fastai's table.
    Train,
    /// The reference run, timed.
    Bench,
    /// Writes a generated stand-in of a release's zip.
    Generate,
}

/// Parsed arguments.
#[derive(Debug, Clone)]
pub struct Args {
    pub command: Command,
    /// Files and folders, read as the page reads files picked together.
    pub paths: Vec<String>,
    pub settings: Settings,
    pub device: DeviceChoice,
    /// `generate`: the release and how many ratings (its published count when not given).
    pub generate: Option<(Release, Option<usize>)>,
    /// `train --save`: where to write the trained model (the page's section 10 opens it).
    pub save: Option<String>,
}

/// Why the arguments were refused: clap's own error (which also carries `--help`), or
/// a setting the core refused.
#[derive(Debug)]
pub enum Refused {
    Cli(clap::Error),
    Setting(String),
}

/// The data argument's help.
const DATA: &str = "MovieLens files or folders: any release's zip as GroupLens ships it (ml-100k.zip, \
                    ml-latest-small.zip, ml-1m.zip, ml-10m.zip, ml-20m.zip, ml-25m.zip, ml-32m.zip, ml-latest.zip), \
                    u.data (with u.item), ratings.dat (with movies.dat) or ratings.csv (with movies.csv), as the page \
                    takes them picked together; a folder gives the ones it holds (names in any case)";

/// One option per setting, named and described by the core (the optimizer's too).
fn settings() -> Vec<Arg> {
    Key::ALL
        .into_iter()
        .map(|key| {
            Arg::new(key.name())
                .long(key.name())
                .value_name("VALUE")
                .action(ArgAction::Set)
                // `--wd -5` is a value the core then refuses in words, not an unknown option.
                .allow_negative_numbers(true)
                .help(format!("the {}: {} [default: {}]", key.words(), key.takes(), key.default()))
        })
        .collect()
}

/// The whole grammar.
pub fn cli() -> Cli {
    Cli::new("collab")
        .about("Train and time the lesson's collaborative-filtering models on MovieLens, as the page does")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Cli::new("train")
                .about("Train on MovieLens files and print fastai's table")
                .arg(Arg::new("data").value_name("DATA").required(true).num_args(1..).help(DATA))
                .arg(Arg::new("save").long("save").value_name("FILE").help(
                    "write the trained model to FILE, the page's own format: section 10 of the page opens it \
                     (train a big release here, explore it there)",
                ))
                .args(settings()),
        )
        .subcommand(
            Cli::new("bench")
                .about("The reference fit, timed on each step path and device (prints figures, asserts nothing)")
                .arg(Arg::new("data").value_name("DATA").num_args(0..).help(format!(
                    "{DATA} (default: data/ml-100k.zip, else generated data of its size; wgpu needs a build with \
                     --features wgpu)"
                )))
                .args(settings()),
        )
        .subcommand(
            Cli::new("generate")
                .about(
                    "Write a generated stand-in of a MovieLens release's zip (its layout exactly, made-up ratings from \
                     planted tastes), for benchmarks and tests",
                )
                .arg(
                    Arg::new("release")
                        .value_name("RELEASE")
                        .required(true)
                        .help(format!("the release's folder name: {}", Release::ALL.map(|r| r.folder()).join(", "))),
                )
                .arg(Arg::new("out").value_name("OUT").required(true).help("the zip to write"))
                .arg(
                    Arg::new("ratings")
                        .long("ratings")
                        .value_name("N")
                        .value_parser(clap::value_parser!(usize))
                        .help("how many ratings [default: the release's published count]"),
                ),
        )
}

impl Args {
    /// Reads `argv` (without the program's name).
    pub fn parse<I: IntoIterator<Item = S>, S: Into<std::ffi::OsString> + Clone>(argv: I) -> Result<Self, Refused> {
        let all = std::iter::once("collab".into()).chain(argv.into_iter().map(Into::into));
        let matches = cli().try_get_matches_from(all).map_err(Refused::Cli)?;
        let (command, sub) = match matches.subcommand() {
            Some(("train", sub)) => (Command::Train, sub),
            Some(("bench", sub)) => (Command::Bench, sub),
            Some(("generate", sub)) => {
                let name = sub.get_one::<String>("release").expect("required");
                let release = Release::of_folder(name).or_else(|| Release::of_folder(&name.replace("10m", "10M100K")));
                let release = release.ok_or_else(|| {
                    let known = Release::ALL.map(|r| r.folder()).join(", ");
                    Refused::Setting(format!("'{name}' is not a MovieLens release ({known})"))
                })?;
                let out = sub.get_one::<String>("out").expect("required").clone();
                let settings = Texts::defaults().settings().expect("the defaults are settings");
                let device = DeviceChoice::Auto;
                let generate = Some((release, sub.get_one::<usize>("ratings").copied()));
                return Ok(Args {
                    command: Command::Generate,
                    paths: vec![out],
                    settings,
                    device,
                    generate,
                    save: None,
                });
            }
            _ => unreachable!("clap requires a known subcommand"),
        };
        let (settings, device) = read_settings(sub)?;
        let paths = sub.get_many::<String>("data").map(|p| p.cloned().collect()).unwrap_or_default();
        let save = if command == Command::Train { sub.get_one::<String>("save").cloned() } else { None };
        Ok(Args { command, paths, settings, device, generate: None, save })
    }
}

/// The settings given, through the core's one path: a bad one is refused (a link's is
/// replaced by its default; a command line has nobody to tell later).
fn read_settings(sub: &ArgMatches) -> Result<(Settings, DeviceChoice), Refused> {
    let given: Vec<(&str, &str)> =
        Key::ALL.iter().filter_map(|k| Some((k.name(), sub.get_one::<String>(k.name())?.as_str()))).collect();
    let (texts, faults) = Texts::defaults().with(given);
    if !faults.is_empty() {
        let said: Vec<String> = faults.iter().map(|f| format!("--{}: {f}", f.key.name())).collect();
        return Err(Refused::Setting(said.join("\n")));
    }
    let settings = texts.settings().map_err(|f| Refused::Setting(format!("--{}: {f}", f.key.name())))?;
    Ok((settings, texts.device()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use collab_core::model::ModelKind;
    use collab_core::train::OptimizerKind;
    use collab_core::train::WdKind;

    fn parse(line: &str) -> Result<Args, String> {
        Args::parse(line.split_whitespace()).map_err(|e| match e {
            Refused::Cli(e) => e.to_string(),
            Refused::Setting(s) => s,
        })
    }

    #[test]
    fn every_setting_of_the_page_is_an_option_with_its_name() {
        let a = parse(
            "train d --model nn --factors 8 --epochs 2 --lr 1e-2 --wd 0.05 --wdkind l2 --bs 16 --seed 7 --device cpu",
        )
        .unwrap();
        let s = a.settings;
        assert_eq!(
            (s.kind, s.factors, s.epochs, s.lr, s.wd, s.wd_kind, s.batch_size, s.seed, a.device),
            (ModelKind::CollabNn, 50, 2, 0.01, 0.05, WdKind::L2, 16, 7, DeviceChoice::Cpu)
        );
        let raw = parse("train u.data u.item --model dotraw").unwrap();
        assert_eq!((raw.settings.kind, raw.settings.y_range, raw.paths.len()), (ModelKind::DotProduct, false, 2));
        // As on the page: the defaults are the book's, and CollabNN's weight decay is 0.01.
        let d = parse("train d").unwrap();
        assert_eq!(
            (d.settings.kind, d.settings.lr, d.settings.wd, d.device),
            (ModelKind::DotProductBias, 0.005, 0.1, DeviceChoice::Auto)
        );
        assert_eq!(parse("train d --model nn").unwrap().settings.wd, 0.01);
        assert_eq!(d.settings.optimizer, OptimizerKind::Adam, "fastai's Adam unless told");
        let lazy = parse("train d --optim lazy --bs 65536").unwrap().settings;
        assert_eq!((lazy.optimizer, lazy.batch_size), (OptimizerKind::LazyAdam, 65_536));
        assert_eq!(lazy.fit().optim.kind, OptimizerKind::LazyAdam);
        assert_eq!(parse("bench --device wgpu").unwrap().device, DeviceChoice::WebGpu);
        assert_eq!(parse("bench --device flex").unwrap().device, DeviceChoice::Cpu);
    }

    #[test]
    fn settings_that_cannot_train_are_refused_in_the_pages_words() {
        let cases = [
            ("--lr NaN", "--lr: the learning rate 'NaN' is not a number"),
            ("--lr 1e9", "--lr: the learning rate '1e9' must be above 0 and at most 10"),
            ("--lr 0", "--lr: the learning rate '0' must be above 0 and at most 10"),
            ("--wd 1e300", "--wd: the weight decay '1e300' must be 0 to 10"),
            ("--wd -5", "--wd: the weight decay '-5' must be 0 to 10"),
            ("--epochs 0", "--epochs: the number of epochs '0' must be 1 to 50"),
            ("--factors 100000", "--factors: the number of factors '100000' must be 1 to 400"),
            ("--bs 0", "--bs: the batch size '0' must be 1 to 65536"),
            ("--optim adamw", "--optim: the optimizer 'adamw' is not adam, lazy or sgd"),
            ("--wdkind L1", "--wdkind: the weight decay kind 'L1' is not decoupled or l2"),
            ("--device tpu", "--device: the device 'tpu' is not auto, cpu or webgpu"),
            ("--seed x", "--seed: the seed 'x' is not a number"),
            ("--seed -3", "--seed: the seed '-3' must be a whole number from 0"),
        ];
        for (bad, says) in cases {
            assert_eq!(parse(&format!("train d {bad}")).unwrap_err(), says, "{bad}");
        }
        assert!(parse("train d --model svd").unwrap_err().contains("'svd' is not a model this notebook trains"));
        // Two bad values: both named.
        assert_eq!(parse("train d --lr x --bs y").unwrap_err().lines().count(), 2);
    }

    #[test]
    fn the_grammar_and_help_come_from_clap() {
        assert!(parse("train").unwrap_err().contains("DATA"), "train needs data");
        assert!(parse("train d --lrr 1").unwrap_err().contains("--lrr"));
        assert!(parse("fly").unwrap_err().contains("fly"));
        let mut cli = cli();
        let help = cli.find_subcommand_mut("train").unwrap().render_help().to_string();
        for key in Key::ALL {
            assert!(help.contains(&format!("--{}", key.name())), "--{} in the help", key.name());
        }
        assert!(help.contains("[default: 0.005]") && help.contains("1 to 65536"), "{help}");
        let err = Args::parse(["train", "--help"]).unwrap_err();
        assert!(matches!(err, Refused::Cli(e) if e.kind() == clap::error::ErrorKind::DisplayHelp));
    }
}
