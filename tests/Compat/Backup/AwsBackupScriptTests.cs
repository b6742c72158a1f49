using System.Diagnostics;
using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat.Backup;

/// <summary>
/// scripts/aws-backup.sh with a recording <c>aws</c> shim first on PATH. The emulators implement neither
/// point-in-time recovery nor S3 versioning, so this proves the command sequence only (which calls,
/// in which order, with which names, time and versions), not what AWS does with it (docs/backup.md).
/// </summary>
// The shim is a shell script: the test runs where bash does.
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AwsBackupScriptTests : IDisposable
{
    private const string RestoreTime = "2026-12-01T10:00:00Z";

    private readonly string _dir = RepoPaths.NewTempDir("awsbackup");

    private string CallLog => Path.Combine(_dir, "calls.log");

    public AwsBackupScriptTests()
    {
        // Records each call as one line; answers describe-table for every table but those in
        // SHIM_MISSING_TABLES, and list-object-versions from SHIM_VERSIONS.
        string shim = Path.Combine(_dir, "aws");
        File.WriteAllText(shim, """
            #!/usr/bin/env bash
            printf '%s\n' "$*" >> "$SHIM_LOG"
            case "$*" in
              *describe-table*)
                for t in $SHIM_MISSING_TABLES; do
                  case " $* " in *" --table-name $t "*) echo "ResourceNotFoundException" >&2; exit 254 ;; esac
                done
                echo table ;;
              *list-object-versions*) cat "$SHIM_VERSIONS" ;;
              *) echo '{}' ;;
            esac
            """.Replace("\r", ""));
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // Both CLIs' time formats: v2's "+00:00", v1's milliseconds and "Z".
        File.WriteAllText(Path.Combine(_dir, "versions.json"), """
            {
              "Versions": [
                {"Key": "nodes/a", "VersionId": "a-before", "LastModified": "2026-12-01T09:00:00+00:00"},
                {"Key": "nodes/a", "VersionId": "a-after", "LastModified": "2026-12-01T11:00:00+00:00"},
                {"Key": "nodes/a", "VersionId": "a-oldest", "LastModified": "2026-12-01T08:00:00.000Z"},
                {"Key": "nodes/b", "VersionId": "b-before", "LastModified": "2026-12-01T08:00:00+00:00"},
                {"Key": "nodes/c", "VersionId": "c-after", "LastModified": "2026-12-01T10:00:01+00:00"},
                {"Key": "nodes/d e", "VersionId": "d-exact", "LastModified": "2026-12-01T10:00:00.000Z"}
              ],
              "DeleteMarkers": [
                {"Key": "nodes/b", "VersionId": "b-deleted", "LastModified": "2026-12-01T09:30:00+00:00"},
                {"Key": "nodes/d e", "VersionId": "d-deleted", "LastModified": "2026-12-01T10:30:00+00:00"}
              ]
            }
            """);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Code, string Stdout, string Stderr, string[] Calls)> RunAsync(string missingTables, params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.RepoRoot, "scripts", "aws-backup.sh"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["PATH"] = _dir + ":" + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["SHIM_LOG"] = CallLog;
        psi.Environment["SHIM_MISSING_TABLES"] = missingTables;
        psi.Environment["SHIM_VERSIONS"] = Path.Combine(_dir, "versions.json");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await p.WaitForExitAsync(cts.Token);
        string[] calls = File.Exists(CallLog) ? File.ReadAllLines(CallLog) : [];
        File.Delete(CallLog);
        return (p.ExitCode, await stdout, await stderr, calls);
    }

    private static readonly string[] Suffixes = ["nodes", "counters", "pending", "sessions", "leases", "watches", "data"];

    private static IEnumerable<string> DescribeCalls(string deployment) =>
        Suffixes.Select(s => $"dynamodb describe-table --table-name {deployment}-{s} --output text --query Table.TableName");

    [Fact]
    public async Task Enable_turns_on_pitr_for_the_tables_that_exist_then_versioning_and_expiry()
    {
        var run = await RunAsync("zk-prod-data", "enable", "--aws.deployment=zk-prod", "--keep-days=20");
        Assert.True(run.Code == 0, run.Stderr);
        string[] expected =
        [
            .. DescribeCalls("zk-prod"),
            .. Suffixes.SkipLast(1).Select(s =>
                $"dynamodb update-continuous-backups --table-name zk-prod-{s} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true"),
            "s3api put-bucket-versioning --bucket zk-prod-data --versioning-configuration Status=Enabled",
            "s3api put-bucket-lifecycle-configuration --bucket zk-prod-data --lifecycle-configuration " +
                """{"Rules":[{"ID":"zkgateway-expire-noncurrent","Status":"Enabled","Filter":{"Prefix":""},"NoncurrentVersionExpiration":{"NoncurrentDays":20}}]}""",
        ];
        Assert.Equal(expected, run.Calls);
        Assert.Contains("no table zk-prod-data: skipped", run.Stderr);
        Assert.Contains("point-in-time recovery on 6 tables", run.Stderr);
    }

    [Fact]
    public async Task Restore_makes_new_tables_at_the_time_and_copies_the_versions_current_then()
    {
        var run = await RunAsync("", "restore", "--aws.deployment=zk-prod", "--aws.bucket=zk-prod-data-1234",
            "--to=zk-restored", $"--time={RestoreTime}", "--aws.region=eu-west-1");
        Assert.True(run.Code == 0, run.Stderr);
        string region = "--region eu-west-1 ";
        string[] expected =
        [
            .. DescribeCalls("zk-prod").Select(c => region + c),
            .. Suffixes.Select(s => region +
                $"dynamodb restore-table-to-point-in-time --source-table-name zk-prod-{s} --target-table-name zk-restored-{s} --restore-date-time {RestoreTime}"),
            .. Suffixes.Select(s => region + $"dynamodb wait table-exists --table-name zk-restored-{s}"),
            region + "s3api create-bucket --bucket zk-restored-data --create-bucket-configuration LocationConstraint=eu-west-1",
            region + "s3api list-object-versions --bucket zk-prod-data-1234 --output json",
            // a: the newest version at or before T; b: deleted before T; c: only after T;
            // "d e": written exactly at T, deleted after it.
            region + "s3api copy-object --bucket zk-restored-data --key nodes/a --copy-source zk-prod-data-1234/nodes/a?versionId=a-before",
            region + "s3api copy-object --bucket zk-restored-data --key nodes/d e --copy-source zk-prod-data-1234/nodes/d e?versionId=d-exact",
        ];
        Assert.Equal(expected, run.Calls);
        Assert.Contains("7 tables, 2 objects into zk-restored-data", run.Stderr);
    }

    [Fact]
    public async Task Dry_run_makes_only_the_reads_and_prints_every_change()
    {
        var run = await RunAsync("zk-prod-data", "restore", "--aws.deployment=zk-prod", "--to=zk-restored", $"--time={RestoreTime}", "--dry-run");
        Assert.True(run.Code == 0, run.Stderr);
        Assert.Equal([.. DescribeCalls("zk-prod"), "s3api list-object-versions --bucket zk-prod-data --output json"], run.Calls);
        string[] printed = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(printed, line => Assert.StartsWith("would run: aws ", line));
        Assert.Equal(6 + 6 + 1 + 2, printed.Length);
        Assert.Contains("would run: aws dynamodb restore-table-to-point-in-time --source-table-name zk-prod-nodes --target-table-name zk-restored-nodes --restore-date-time 2026-12-01T10:00:00Z", printed);
        // The key with a space is printed quoted, as a shell would take it back.
        Assert.Contains(@"would run: aws s3api copy-object --bucket zk-restored-data --key nodes/d\ e --copy-source zk-prod-data/nodes/d\ e\?versionId=d-exact", printed);

        var enable = await RunAsync("", "enable", "--aws.deployment=zk-prod", "--dry-run");
        Assert.True(enable.Code == 0, enable.Stderr);
        Assert.Equal(DescribeCalls("zk-prod"), enable.Calls);
        Assert.Equal(7 + 2, enable.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("--aws.deployment=zk-prod", "--to=zk-restored")]
    [InlineData("--aws.deployment=zk-prod", "--to=zk-restored", "--time=2026-12-01 10:00")]
    [InlineData("--aws.deployment=zk-prod", "--to=zk-prod", "--time=2026-12-01T10:00:00Z")]
    [InlineData("--to=zk-restored", "--time=2026-12-01T10:00:00Z")]
    [InlineData("--aws.deployment=zk-prod", "--to=zk-restored", "--time=2026-12-01T10:00:00Z", "--force")]
    public async Task Bad_arguments_exit_2_before_any_aws_call(params string[] args)
    {
        var run = await RunAsync("", ["restore", .. args]);
        Assert.Equal(2, run.Code);
        Assert.Empty(run.Calls);
        Assert.StartsWith("aws-backup: ", run.Stderr);
    }
}
