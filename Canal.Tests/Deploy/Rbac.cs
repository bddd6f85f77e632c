using System.Text.Json.Nodes;

namespace Canal.Tests.Deploy;

/// <summary>One permission: a verb on a resource (by name, or any: "*") in a namespace (or cluster-wide: "").</summary>
internal sealed record Grant(string Namespace, string Group, string Resource, string Verb, string Name)
{
    public override string ToString() => $"{Verb} {Group}/{Resource}/{Name} in {(Namespace == "" ? "the cluster" : Namespace)}";
}

/// <summary>What a set of RBAC objects grants a ServiceAccount: the rules of the roles bound to it, one grant per combination.</summary>
internal static class Rbac
{
    public static HashSet<Grant> GrantedTo(IReadOnlyList<JsonObject> objects, string accountNamespace, string account)
    {
        var grants = new HashSet<Grant>();
        foreach (var binding in objects.Where(o => (string?)o["kind"] is "RoleBinding" or "ClusterRoleBinding"))
        {
            var subjects = binding["subjects"]!.AsArray();
            if (!subjects.Any(s => (string?)s!["kind"] == "ServiceAccount" && (string?)s["name"] == account && (string?)s["namespace"] == accountNamespace))
                continue;
            // A RoleBinding grants in its own namespace, whichever kind of role it refers to.
            var scope = (string?)binding["kind"] == "RoleBinding" ? (string)binding["metadata"]!["namespace"]! : "";
            var roleKind = (string)binding["roleRef"]!["kind"]!;
            var roleName = (string)binding["roleRef"]!["name"]!;
            var role = objects.Single(o => (string?)o["kind"] == roleKind && (string?)o["metadata"]!["name"] == roleName
                && (roleKind == "ClusterRole" || (string?)o["metadata"]!["namespace"] == scope));
            foreach (var rule in role["rules"]!.AsArray().Select(r => r!.AsObject()))
            {
                string[] List(string key) => rule[key] is JsonArray list ? [.. list.Select(n => (string?)n ?? "")] : [];
                var names = List("resourceNames") is { Length: > 0 } named ? named : ["*"];
                grants.UnionWith(
                    from g in List("apiGroups")
                    from r in List("resources")
                    from v in List("verbs")
                    from n in names
                    select new Grant(scope, g, r, v, n));
            }
        }
        return grants;
    }
}
