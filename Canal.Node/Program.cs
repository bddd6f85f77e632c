using System.CommandLine;
using Canal.Node;

var root = new RootCommand("canal: points Istio VirtualService destinations at the canal gateway through CoreDNS.")
{
    RenderCommand.Create(),
    RunCommand.Create(),
};
return root.Parse(args).Invoke();
