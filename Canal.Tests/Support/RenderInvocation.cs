using System.CommandLine;
using Canal.Node;

namespace Canal.Tests.Support;

/// <summary><c>canal render</c> parsed and invoked in-process, as the executable does, with its output captured.</summary>
internal static class RenderInvocation
{
    public static (int Exit, string Stdout, string Stderr) Invoke(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var root = new RootCommand { RenderCommand.Create(new CanalOptions(), new KubernetesFlags()) };
        var result = root.Parse(args);
        Assert.Empty(result.Errors);
        var exit = result.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
