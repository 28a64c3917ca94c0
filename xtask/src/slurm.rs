//! Sweeps on Slurm: `cargo xtask reproduce --slurm` writes a job-array
//! script (one array task per simulation) and a collect job instead of
//! running locally, and `cargo xtask slurm-test` checks the whole path
//! against a real Slurm brought up on 127.0.0.1.
//!
//! Every experiment binary answers `--count-tasks`; task `i` (`--task i`) is
//! a pure function of (tier parameters, i) and writes
//! `<out>/tasks/task-i.json`; `--collect` merges them. A local run goes
//! through the same files, which is why a local run and a job-array run of a
//! tier give identical summaries and figures (the test compares them).
//! The scripts assume the results directory and the binaries sit on a file
//! system shared by the nodes, as on most clusters.

use crate::reproduce::{binary, build_experiments, reproduce, workspace_root};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Resources requested per array task.
#[derive(Debug, Clone)]
pub struct SlurmOptions {
    /// Partition (`--partition`); the cluster default without it.
    pub partition: Option<String>,
    /// Time limit per task (`--time`, e.g. `02:00:00`).
    pub time: String,
    /// Memory per task (`--mem`, e.g. `4G`).
    pub mem: String,
}

/// The job ids of a submitted sweep.
pub struct Submitted {
    /// The job array.
    pub array: String,
    /// The collect job (runs after the whole array).
    pub collect: String,
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(p)?;
    Ok(p.canonicalize()?)
}

/// Quote for a POSIX shell.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Write `<results>/<tier>/slurm/{tasks.tsv, array.sbatch, collect.sbatch,
/// submit.sh}` for the chosen experiments, and submit them if asked.
pub fn write_scripts(
    tier: &str,
    chosen: &[&str],
    results: &Path,
    opts: &SlurmOptions,
    submit: bool,
) -> Result<Option<Submitted>> {
    let root = workspace_root().canonicalize()?;
    build_experiments(&root)?;
    let out_root = absolute(&results.join(tier))?;
    let dir = out_root.join("slurm");
    std::fs::create_dir_all(dir.join("logs"))?;
    let mut table = String::new();
    let mut total = 0usize;
    for name in chosen {
        let out = Command::new(binary(&root, name))
            .args(["--tier", tier, "--count-tasks", "--out"])
            .arg(out_root.join(name))
            .output()
            .with_context(|| format!("running {name} --count-tasks"))?;
        if !out.status.success() {
            bail!("{name} --count-tasks failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let n: usize =
            String::from_utf8_lossy(&out.stdout).trim().parse().with_context(|| format!("{name}: task count"))?;
        for task in 0..n {
            table.push_str(&format!("{name}\t{task}\n"));
        }
        eprintln!("{name}: {n} task(s)");
        total += n;
    }
    std::fs::write(dir.join("tasks.tsv"), &table)?;
    let partition = opts.partition.as_ref().map(|p| format!("#SBATCH --partition={p}\n")).unwrap_or_default();
    let bins = root.join("target/release");
    let array = format!(
        "#!/bin/bash\n# hebb: tier {tier}, {total} simulations, one per array task (see tasks.tsv).\n#SBATCH --job-name=hebb-{tier}\n#SBATCH --array=0-{last}\n#SBATCH --cpus-per-task=1\n#SBATCH --time={time}\n#SBATCH --mem={mem}\n{partition}#SBATCH --output={logs}/task-%a.log\nset -euo pipefail\nline=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" {tasks})\nexperiment=${{line%%$'\\t'*}}\ntask=${{line##*$'\\t'}}\nexec {bins}/\"$experiment\" --tier {tier} --out {out}/\"$experiment\" --task \"$task\"\n",
        last = total.saturating_sub(1),
        time = opts.time,
        mem = opts.mem,
        logs = dir.join("logs").display(),
        tasks = sh(&dir.join("tasks.tsv").display().to_string()),
        bins = sh(&bins.display().to_string()),
        out = sh(&out_root.display().to_string()),
    );
    let xtask = std::env::current_exe()?;
    let collect = format!(
        "#!/bin/bash\n# hebb: merge the array's task outputs into summaries, figures and the report.\n#SBATCH --job-name=hebb-{tier}-collect\n#SBATCH --cpus-per-task=1\n#SBATCH --time={time}\n#SBATCH --mem={mem}\n{partition}#SBATCH --output={logs}/collect.log\nset -uo pipefail\n{xtask} collect --no-build --tier {tier} --only {only} --results {results}\necho $? > {done}\n",
        time = opts.time,
        mem = opts.mem,
        logs = dir.join("logs").display(),
        xtask = sh(&xtask.display().to_string()),
        only = sh(&chosen.join(",")),
        results = sh(&absolute(results)?.display().to_string()),
        done = sh(&dir.join("collect.status").display().to_string()),
    );
    std::fs::write(dir.join("array.sbatch"), array)?;
    std::fs::write(dir.join("collect.sbatch"), collect)?;
    let submit_sh = format!(
        "#!/bin/bash\n# Submit the array, then the collect step once every array task has ended.\nset -euo pipefail\ncd {d}\narray=$(sbatch --parsable array.sbatch)\ncollect=$(sbatch --parsable --dependency=afterany:${{array%%;*}} collect.sbatch)\necho \"$array $collect\"\n",
        d = sh(&dir.display().to_string())
    );
    std::fs::write(dir.join("submit.sh"), submit_sh)?;
    let _ = std::fs::remove_file(dir.join("collect.status"));
    if !submit {
        println!(
            "wrote {} ({total} array tasks); submit with: bash {}",
            dir.display(),
            dir.join("submit.sh").display()
        );
        return Ok(None);
    }
    let out =
        Command::new("bash").arg(dir.join("submit.sh")).output().context("running sbatch (is Slurm installed?)")?;
    if !out.status.success() {
        bail!("submitting failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let ids = String::from_utf8_lossy(&out.stdout);
    let mut it = ids.split_whitespace();
    let (Some(array), Some(collect)) = (it.next(), it.next()) else { bail!("sbatch printed no job ids: {ids}") };
    println!("submitted array job {array} ({total} tasks) and collect job {collect}");
    Ok(Some(Submitted { array: array.into(), collect: collect.into() }))
}

/// A command's stdout, or an error naming it.
fn output(cmd: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(cmd).args(args).output().with_context(|| format!("running {cmd}"))?;
    if !out.status.success() {
        bail!("{cmd} {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn on_path(cmd: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {cmd}")]).output().is_ok_and(|o| o.status.success())
}

/// The loopback cluster: munged (if we started it), slurmctld and slurmd.
/// Dropping it stops what it started.
struct LoopbackSlurm {
    dir: PathBuf,
    conf: PathBuf,
    started_munge: bool,
}

impl LoopbackSlurm {
    fn start(dir: &Path) -> Result<Self> {
        if !on_path("slurmctld") || !on_path("munged") {
            let root = output("id", &["-u"])?.trim() == "0";
            if !root {
                bail!("slurm is not installed: run `apt-get install slurm-wlm munge` as root (or run this as root)");
            }
            eprintln!("installing Debian's slurm-wlm and munge …");
            let ok = Command::new("sh")
                .args(["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null"])
                .status()?
                .success();
            if !ok {
                bail!("apt-get install slurm-wlm munge failed");
            }
        }
        let _ = std::fs::remove_dir_all(dir);
        for sub in ["state", "spool", "log"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        let dir = dir.canonicalize()?;
        let mut me = Self { conf: dir.join("slurm.conf"), dir, started_munge: false };
        let munge_ok =
            || Command::new("sh").args(["-c", "munge -n | unmunge"]).output().is_ok_and(|o| o.status.success());
        if !munge_ok() {
            // munged refuses to run as root; it runs as the `munge` user the
            // package created, with its socket in /run/munge.
            std::fs::create_dir_all("/run/munge")?;
            output("chown", &["munge:munge", "/run/munge"])?;
            output("runuser", &["-u", "munge", "--", "/usr/sbin/munged"])?;
            me.started_munge = true;
            if !munge_ok() {
                bail!("munged did not start (see /var/log/munge/munged.log)");
            }
        }
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let d = me.dir.display();
        let conf = format!(
            "# A one-node Slurm on 127.0.0.1 for `cargo xtask slurm-test`.\nClusterName=hebbtest\nSlurmctldHost=localhost\nSlurmctldPort=6817\nSlurmdPort=6818\nAuthType=auth/munge\nProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nSchedulerType=sched/backfill\nSelectType=select/cons_tres\nSelectTypeParameters=CR_Core_Memory\nReturnToService=2\nSlurmUser=root\nSlurmdUser=root\nStateSaveLocation={d}/state\nSlurmdSpoolDir={d}/spool\nSlurmctldPidFile={d}/slurmctld.pid\nSlurmdPidFile={d}/slurmd.pid\nSlurmctldLogFile={d}/log/slurmctld.log\nSlurmdLogFile={d}/log/slurmd.log\nJobCompType=jobcomp/none\nAccountingStorageType=accounting_storage/none\nJobAcctGatherType=jobacct_gather/none\nMpiDefault=none\nNodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=4000 State=UNKNOWN\nPartitionName=hebbtest Nodes=localhost Default=YES MaxTime=INFINITE State=UP\n"
        );
        std::fs::write(&me.conf, conf)?;
        // SAFETY: xtask has no other threads; the variable tells the Slurm
        // commands it starts (sbatch, squeue, sinfo) which cluster to use.
        unsafe { std::env::set_var("SLURM_CONF", &me.conf) };
        let conf = me.conf.display().to_string();
        if std::net::TcpListener::bind("127.0.0.1:6817").is_err()
            || std::net::TcpListener::bind("127.0.0.1:6818").is_err()
        {
            bail!("port 6817 or 6818 on 127.0.0.1 is in use (another slurmctld/slurmd?); stop it first");
        }
        output("slurmctld", &["-f", &conf])?;
        output("slurmd", &["-f", &conf, "-N", "localhost"])?;
        let start = Instant::now();
        loop {
            // Our partition name proves it is our slurmctld answering, not
            // another one already on the port.
            let state = output("sinfo", &["-h", "-o", "%P %t"]).unwrap_or_default();
            if state.trim() == "hebbtest* idle" {
                break;
            }
            if start.elapsed() > Duration::from_secs(60) {
                bail!(
                    "the loopback node did not become idle in 60 s (state `{}`; logs in {})",
                    state.trim(),
                    me.dir.join("log").display()
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        eprintln!("loopback Slurm up ({} CPUs, config {})", cpus, me.conf.display());
        Ok(me)
    }

    /// Wait until none of `jobs` is in the queue.
    fn wait(&self, jobs: &[&str], timeout: Duration) -> Result<()> {
        let start = Instant::now();
        let list = jobs.join(",");
        loop {
            let queued = output("squeue", &["-h", "-j", &list, "-o", "%i %t"]).unwrap_or_default();
            if queued.trim().is_empty() {
                return Ok(());
            }
            if start.elapsed() > timeout {
                bail!("jobs still queued after {} s:\n{queued}", timeout.as_secs());
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

impl Drop for LoopbackSlurm {
    fn drop(&mut self) {
        let _ = Command::new("scancel").args(["--user", "root"]).output();
        for pid_file in ["slurmd.pid", "slurmctld.pid"] {
            if let Ok(pid) = std::fs::read_to_string(self.dir.join(pid_file)) {
                let _ = Command::new("kill").arg(pid.trim()).output();
            }
        }
        if self.started_munge
            && let Ok(pid) = std::fs::read_to_string("/run/munge/munged.pid")
        {
            let _ = Command::new("kill").arg(pid.trim()).output();
        }
        eprintln!("loopback Slurm stopped");
    }
}

/// `summary.json` without the fields that measure the run rather than
/// describe its result.
fn result_of(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut v: serde_json::Value = serde_json::from_str(&text)?;
    if let Some(m) = v.as_object_mut() {
        m.remove("wall_s");
        m.remove("cpu_s");
    }
    Ok(v)
}

/// Bring up Slurm on 127.0.0.1, run the chosen experiments of the quick
/// tier locally and as a job array, and compare summaries and figures.
/// With `local`, compare against the quick-tier results already there
/// (e.g. from `cargo xtask reproduce --tier quick` just before) instead of
/// running them again.
pub fn slurm_test(chosen: &[&str], work: &Path, local: Option<&Path>) -> Result<()> {
    let cluster = LoopbackSlurm::start(&work.join("cluster"))?;
    let array = work.join("array");
    let _ = std::fs::remove_dir_all(&array);
    let local = match local {
        Some(dir) => dir.to_path_buf(),
        None => {
            let dir = work.join("local");
            let _ = std::fs::remove_dir_all(&dir);
            reproduce("quick", chosen, 2, &dir)?;
            dir
        }
    };
    let opts = SlurmOptions { partition: None, time: "00:30:00".into(), mem: "1500M".into() };
    let jobs = write_scripts("quick", chosen, &array, &opts, true)?.expect("submitted");
    cluster.wait(&[&jobs.array, &jobs.collect], Duration::from_secs(1800))?;
    let status_file = array.join("quick/slurm/collect.status");
    let status = std::fs::read_to_string(&status_file).with_context(|| {
        format!(
            "the collect job left no status ({}); see {}",
            status_file.display(),
            array.join("quick/slurm/logs").display()
        )
    })?;
    if status.trim() != "0" {
        bail!(
            "the collect job failed (exit {}); see {}",
            status.trim(),
            array.join("quick/slurm/logs/collect.log").display()
        );
    }
    let mut compared = 0;
    for name in chosen {
        let (a, b) = (local.join("quick").join(name), array.join("quick").join(name));
        if result_of(&a.join("summary.json"))? != result_of(&b.join("summary.json"))? {
            bail!("{name}: the job-array summary differs from the local one ({} vs {})", b.display(), a.display());
        }
        for entry in std::fs::read_dir(a.join("figures"))? {
            let path = entry?.path();
            let other = b.join("figures").join(path.file_name().expect("a file"));
            if std::fs::read(&path)? != std::fs::read(&other).with_context(|| format!("{} missing", other.display()))? {
                bail!("{name}: figure {} differs between the local and the job-array run", path.display());
            }
            compared += 1;
        }
    }
    println!(
        "slurm-test: {} experiment(s) ran as a job array on the loopback Slurm; summaries and {compared} figure files identical to the local run",
        chosen.len()
    );
    drop(cluster);
    Ok(())
}
