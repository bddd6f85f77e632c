namespace Canal.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL from Debian's packages (installed by build.ps1 test): initdb into a temporary
/// directory as the postgres user, started on a free loopback port, removed when disposed.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string _directory = "";

    public int Port { get; private set; }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true";

    public async Task InitializeAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL is not installed: run `dotnet pwsh ./build.ps1 test`, which installs Debian's postgresql package");
        _directory = Directory.CreateTempSubdirectory("canal-pg-").FullName;
        await Run("chown", "postgres", _directory);
        Port = Ports.Free();
        var data = Path.Combine(_directory, "data");
        await AsPostgres($"{bin}/initdb -D {data} -U postgres --auth=trust -E UTF8");
        await AsPostgres($"{bin}/pg_ctl -D {data} -l {_directory}/log -o \"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off\" -w start");
    }

    /// <summary>A new, empty database: each test gets its own journal.</summary>
    public async Task<string> CreateDatabase()
    {
        var name = $"canal_{Guid.NewGuid():N}";
        await AsPostgres($"psql -h 127.0.0.1 -p {Port} -U postgres -c \"CREATE DATABASE {name}\"");
        return ConnectionString(name);
    }

    public async Task DisposeAsync()
    {
        if (_directory.Length == 0)
            return;
        var bin = Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")).First();
        await AsPostgres($"{bin}/pg_ctl -D {_directory}/data -m immediate stop");
        Directory.Delete(_directory, recursive: true);
    }

    private static Task AsPostgres(string command) => Run("su", "postgres", "-s", "/bin/sh", "-c", command);

    private static async Task Run(string file, params string[] args)
    {
        var (exit, output, error) = await ChildProcess.Run(file, args, workingDirectory: "/", timeout: TimeSpan.FromMinutes(5));
        if (exit != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({exit}): {output}{error}");
    }

}
