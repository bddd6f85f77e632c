using Canal.Istio;
using Canal.Node;
using Canal.Tests.Support;

namespace Canal.Tests.Local;

/// <summary>
/// The real <c>canal run</c> process in local mode, on SQLite and on a real PostgreSQL: it follows manifest
/// files, agrees with <c>canal render</c>, and comes back after a restart or a kill -9 without losing anything.
/// </summary>
public sealed class LocalModeTests(PostgresServer postgres) : IClassFixture<PostgresServer>, IAsyncLifetime
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("canal-local-");
    private readonly List<CanalProcess> _processes = [];

    private string ManifestDir => Path.Combine(_temp.FullName, "manifests");
    private string CorefilePath => Path.Combine(_temp.FullName, "out", "Corefile");

    public static TheoryData<string> Journals => ["sqlite", "postgres"];

    public Task InitializeAsync() => Task.CompletedTask;

    // xUnit 2 ends a test class through IAsyncLifetime; an IAsyncDisposable one is never disposed (its processes outlived the suite).
    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
            await process.DisposeAsync();
        _temp.Delete(recursive: true);
    }

    private void CopySample()
    {
        Samples.CopyTo(Samples.Helloworld, ManifestDir);
    }

    private static string Fqdn(string name) => $"{name}.default.svc.cluster.local";

    /// <summary>A VirtualService file bound to the canal gateway, routing to <paramref name="hosts"/>.</summary>
    private void WriteVirtualService(string name, params string[] hosts)
    {
        // One route shares its requests among the hosts: a route after one that takes every request would never be reached.
        var destinations = string.Concat(hosts.Select(h => $"""
                    - destination:
                        host: {h}
                      weight: 1

            """));
        File.WriteAllText(Path.Combine(ManifestDir, $"vs-{name}.yaml"), $"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: {name}
              namespace: default
            spec:
              hosts: [{string.Join(", ", hosts)}]
              gateways: [istio-system/canal]
              http:
                - route:
            {destinations}
            """);
    }

    private async Task<CanalProcess> Start(string journal)
    {
        var args = new List<string> { "run", "--manifests", ManifestDir, "--corefile", CorefilePath, "--data", Path.Combine(_temp.FullName, "data") };
        if (journal == "postgres")
            args.AddRange(["--postgres", _connectionString ??= await postgres.CreateDatabase()]);
        var process = CanalProcess.Start(_temp.FullName, [.. args]);
        _processes.Add(process);
        return process;
    }

    private string? _connectionString;

    /// <summary>What <c>canal render</c> says the Corefile should be, from the same manifests and the Corefile as it is.</summary>
    private string Rendered()
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = RenderCommand.Run(ManifestDir, CorefilePath, Canal.Dns.DnsMode.Auto, new RedirectOptions(), stdout, stderr);
        Assert.True(exit == RenderCommand.Ok, stderr.ToString());
        return stdout.ToString();
    }

    private string Corefile() => File.Exists(CorefilePath) ? File.ReadAllText(CorefilePath) : "";

    /// <summary>Waits until the running Corefile is exactly what <c>canal render</c> gives and holds <paramref name="present"/> but not <paramref name="absent"/>.</summary>
    private Task Converged(string[] present, string[]? absent = null, TimeSpan? timeout = null) =>
        Eventually.True(() =>
        {
            var corefile = Corefile();
            return present.All(h => corefile.Contains($"exact {h} ")) && (absent ?? []).All(h => !corefile.Contains($" {h} "))
                && WriteMarkers.Without(corefile) == Rendered();
        }, () => $"the Corefile to hold [{string.Join(", ", present)}] and not [{string.Join(", ", absent ?? [])}] and to equal canal render's output; it is:\n{Corefile()}", timeout);

    [Fact]
    public async Task A_Gateway_API_route_shares_a_host_with_a_VirtualService_and_the_redirect_lasts_until_both_are_gone()
    {
        CopySample();
        var gatewayApi = Path.Combine(AppContext.BaseDirectory, "Samples", "gateway-api");
        File.Copy(Path.Combine(gatewayApi, "canal-gateway.yaml"), Path.Combine(ManifestDir, "gateway-api-gateway.yaml"));
        // The HTTPRoute routes helloworld too: through the Gateway API's canal gateway, on the same port.
        File.WriteAllText(Path.Combine(ManifestDir, "route.yaml"), string.Join("---", File.ReadAllText(Path.Combine(gatewayApi, "helloworld.yaml")).Split("---").Skip(1)));
        await Start("sqlite");
        await Converged([Fqdn("helloworld")]);

        File.Delete(Path.Combine(ManifestDir, "helloworld.yaml"));
        File.WriteAllText(Path.Combine(ManifestDir, "helloworld-service.yaml"), File.ReadAllText(Path.Combine(gatewayApi, "helloworld.yaml")).Split("---")[0]);
        await Converged([Fqdn("helloworld")]);
        Assert.Contains("mesh-canal.istio-system.svc.cluster.local", Corefile());

        File.Delete(Path.Combine(ManifestDir, "route.yaml"));
        await Converged([], [Fqdn("helloworld")]);
    }

    [Fact]
    public async Task With_coverage_full_a_name_routed_only_in_part_stays_direct_and_canal_cmd_says_why_until_a_route_takes_the_rest()
    {
        CopySample();
        var endpoint = $"127.0.0.1:{Ports.Free()}";
        var canal = CanalProcess.Start(_temp.FullName, "run", "--manifests", ManifestDir, "--corefile", CorefilePath, "--data", Path.Combine(_temp.FullName, "data"),
            "--coverage", "full", "--management-port", endpoint.Split(':')[1]);
        _processes.Add(canal);

        string hosts = "";
        await Eventually.True(() =>
        {
            var cmd = CanalProcess.Cmd(null, endpoint, "canal", "host", Fqdn("helloworld"));
            cmd.WaitForExit().GetAwaiter().GetResult();
            hosts = cmd.Output;
            return cmd.ExitCode == 0 && hosts.Contains("status: blocked");
        }, () => $"canal-cmd canal host to say helloworld is blocked; it said:\n{hosts}\ncanal said:\n{canal.Output}");
        Assert.Contains("partial: only uri prefix /hello is routed; other requests get 404", hosts);
        Assert.Contains("--coverage full redirects only names the gateway routes in full to themselves", hosts);
        Assert.DoesNotContain(Fqdn("helloworld"), Corefile());

        // A last route without a match takes every other request to helloworld too: now the gateway carries all of it.
        var manifest = Path.Combine(ManifestDir, "helloworld.yaml");
        File.WriteAllText(manifest, File.ReadAllText(manifest) + """
                - route:
                    - destination:
                        host: helloworld.default.svc.cluster.local

            """);
        await Eventually.True(() => Corefile().Contains($"exact {Fqdn("helloworld")} "), () => $"helloworld redirected once fully routed; the Corefile is:\n{Corefile()}\ncanal said:\n{canal.Output}");
    }

    [Theory]
    [MemberData(nameof(Journals))]
    public async Task Follows_added_edited_and_deleted_manifest_files_as_canal_render_would(string journal)
    {
        CopySample();
        var canal = await Start(journal);
        await Converged([Fqdn("helloworld")]);
        await canal.WaitForLine(l => l.Contains("write #1 ") && l.Contains("added helloworld.default.svc.cluster.local"), "the first write's log line");
        await canal.WaitForLine(l => l.Contains("warn:") && l.Contains("helloworld.default.svc.cluster.local partial: only uri prefix /hello is routed; other requests get 404"),
            "a warning that the walkthrough's route takes only /hello");

        WriteVirtualService("reviews", "reviews", "ratings.default.svc.cluster.local");
        await Converged([Fqdn("helloworld"), Fqdn("reviews"), Fqdn("ratings")]);

        WriteVirtualService("reviews", "details");
        await Converged([Fqdn("helloworld"), Fqdn("details")], [Fqdn("reviews"), Fqdn("ratings")]);

        File.Delete(Path.Combine(ManifestDir, "vs-reviews.yaml"));
        await Converged([Fqdn("helloworld")], [Fqdn("details")]);
        await canal.Stop();
        Assert.True(canal.ExitCode == 0, $"canal exited {canal.ExitCode} on SIGTERM; it said:\n{canal.Output}");
    }

    [Fact]
    public async Task Moving_the_helloworld_route_moves_the_redirect_and_the_rest_of_the_Corefile_is_kept()
    {
        CopySample();
        var canal = await Start("sqlite");
        await Converged([Fqdn("helloworld")]);
        var created = Corefile();
        Assert.Contains("kubernetes cluster.local in-addr.arpa ip6.arpa", created);

        var vs = Path.Combine(ManifestDir, "helloworld.yaml");
        // The VirtualService's host and its destination: the gateway routes only names its hosts cover.
        File.WriteAllText(vs, File.ReadAllText(vs).Replace("helloworld.default.svc.cluster.local", "helloworld-v2.default.svc.cluster.local"));
        await Converged([Fqdn("helloworld-v2")], [Fqdn("helloworld")]);
        await canal.Stop();
    }

    [Fact]
    public async Task A_manifest_that_stops_parsing_keeps_its_last_good_redirects_and_is_reported()
    {
        CopySample();
        WriteVirtualService("reviews", "reviews");
        var canal = await Start("sqlite");
        await Converged([Fqdn("helloworld"), Fqdn("reviews")]);

        var vs = Path.Combine(ManifestDir, "vs-reviews.yaml");
        File.WriteAllText(vs, File.ReadAllText(vs).Replace("host: reviews", "host: [reviews"));
        await canal.WaitForLine(l => l.Contains("vs-reviews.yaml") && l.Contains("keeping the last good version"), "the parse error to be reported");
        WriteVirtualService("ratings", "ratings");
        await Eventually.True(() => Corefile().Contains($"exact {Fqdn("ratings")} "), "the next change to land");
        Assert.Contains($"exact {Fqdn("reviews")} ", Corefile());
        await canal.Stop();
    }

    [Theory]
    [MemberData(nameof(Journals))]
    public async Task A_restart_with_nothing_changed_writes_nothing(string journal)
    {
        CopySample();
        WriteVirtualService("reviews", "reviews");
        var first = await Start(journal);
        await Converged([Fqdn("helloworld"), Fqdn("reviews")]);
        await first.Stop();
        var before = File.GetLastWriteTimeUtc(CorefilePath);
        var content = Corefile();
        var rows = JournalRows(journal);

        var second = await Start(journal);
        await second.WaitForLine(l => l.Contains("is up to date: 2 hosts redirected, nothing written"), "the first check after restart");
        await second.Stop();
        Assert.DoesNotContain(second.Lines, l => l.Contains("write #"));
        Assert.Equal(content, Corefile());
        Assert.Equal(before, File.GetLastWriteTimeUtc(CorefilePath));
        // Nor to the journal: every claim the listing asserts again is the one stored.
        Assert.Equal(rows, JournalRows(journal));
    }

    /// <summary>The SQLite journal's rows and highest ordering (null for PostgreSQL, which this test does not read).</summary>
    private (long Rows, long Last)? JournalRows(string journal)
    {
        if (journal != "sqlite")
            return null;
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_temp.FullName, "data", "canal.db")};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*), COALESCE(MAX(ordering), 0) FROM journal";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    [Theory]
    [MemberData(nameof(Journals))]
    public async Task Changes_made_while_stopped_are_applied_after_the_restart(string journal)
    {
        CopySample();
        WriteVirtualService("reviews", "reviews");
        WriteVirtualService("ratings", "ratings");
        var first = await Start(journal);
        await Converged([Fqdn("helloworld"), Fqdn("reviews"), Fqdn("ratings")]);
        await first.Stop();

        File.Delete(Path.Combine(ManifestDir, "vs-reviews.yaml"));
        WriteVirtualService("details", "details");
        var second = await Start(journal);
        await Converged([Fqdn("helloworld"), Fqdn("ratings"), Fqdn("details")], [Fqdn("reviews")]);
        await second.WaitForLine(l => l.Contains("1 stale claimers swept"), "the sweep of the deleted VirtualService");
        await second.Stop();
    }

    [Theory]
    [MemberData(nameof(Journals))]
    public async Task Killed_in_the_middle_of_a_burst_it_converges_to_the_manifests_after_a_restart(string journal)
    {
        CopySample();
        var first = await Start(journal);
        await Converged([Fqdn("helloworld")]);

        for (var i = 0; i < 60; i++)
            WriteVirtualService($"burst-{i}", $"burst-{i}");
        await Eventually.True(() => Corefile().Contains("burst-"), "part of the burst to be written");
        await first.Crash();
        for (var i = 0; i < 60; i += 2)
            File.Delete(Path.Combine(ManifestDir, $"vs-burst-{i}.yaml"));

        var second = await Start(journal);
        await Converged([Fqdn("helloworld"), Fqdn("burst-1"), Fqdn("burst-59")], [Fqdn("burst-0"), Fqdn("burst-58")], TimeSpan.FromSeconds(60));
        await second.Stop();
    }

    [Theory]
    [MemberData(nameof(Journals))]
    public async Task A_route_moved_to_another_namespace_while_stopped_is_withdrawn_from_the_old_one(string journal)
    {
        CopySample();
        WriteVirtualService("reviews", "reviews.other.svc.cluster.local");
        var first = await Start(journal);
        await Converged([Fqdn("helloworld"), "reviews.other.svc.cluster.local"]);
        await first.Stop();

        WriteVirtualService("reviews", "reviews");
        var second = await Start(journal);
        await Converged([Fqdn("helloworld"), Fqdn("reviews")], ["reviews.other.svc.cluster.local"]);
        await second.Stop();
    }

    /// <summary>
    /// Fixtures/Journal: the journal and Corefile that Canal wrote for v1's manifests, v1 at commit 5eef1be
    /// (VirtualService entities still persistent, one row per claim, a namespace with a snapshot), v2 at 0b7191d
    /// (claims in batches with their route tables, a namespace with a snapshot).
    /// </summary>
    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task A_journal_written_by_the_previous_release_recovers_without_a_write_and_still_sweeps(string release)
    {
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Journal", release);
        // Both journals were written for v1's manifests.
        Samples.CopyTo(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Journal", "v1", "manifests"), ManifestDir);
        Directory.CreateDirectory(Path.GetDirectoryName(CorefilePath)!);
        File.Copy(Path.Combine(fixture, "Corefile"), CorefilePath);
        Directory.CreateDirectory(Path.Combine(_temp.FullName, "data"));
        File.Copy(Path.Combine(fixture, "canal.db"), Path.Combine(_temp.FullName, "data", "canal.db"));
        var written = Corefile();

        var first = await Start("sqlite");
        await first.WaitForLine(l => l.Contains("is up to date: 212 hosts redirected, nothing written"), "the first check on the old journal");
        await first.Stop();
        Assert.Equal(written, Corefile());

        // storefront (front → front and payments) was deleted while Canal was down.
        File.Delete(Path.Combine(ManifestDir, "front.yaml"));
        var second = await Start("sqlite");
        await Converged(["svc-000.shop.svc.cluster.local", "svc-209.shop.svc.cluster.local"], ["storefront.front.svc.cluster.local", "pay.payments.svc.cluster.local"]);
        await second.WaitForLine(l => l.Contains("1 stale claimers swept"), "the sweep of the deleted VirtualService");
        await second.Stop();
    }
}
