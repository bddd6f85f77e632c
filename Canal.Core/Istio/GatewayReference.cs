namespace Canal.Istio;

/// <summary>How a VirtualService names a gateway, resolved as Istio resolves it.</summary>
internal static class GatewayReference
{
    public const string Mesh = "mesh";

    /// <summary>
    /// <c>namespace/name</c>, <c>./name</c> and <c>name</c> (both in <paramref name="virtualServiceNamespace"/>), and the
    /// legacy <c>name.namespace[.svc.DOMAIN]</c>; null for <c>mesh</c>, which is the sidecars, not a gateway.
    /// </summary>
    public static ObjectKey? Resolve(string reference, string virtualServiceNamespace)
    {
        if (reference == Mesh)
            return null;
        var slash = reference.IndexOf('/');
        if (slash >= 0)
        {
            var ns = reference[..slash];
            return new ObjectKey(ns == "." ? virtualServiceNamespace : ns, reference[(slash + 1)..]);
        }
        var dot = reference.IndexOf('.');
        if (dot < 0)
            return new ObjectKey(virtualServiceNamespace, reference);
        var rest = reference[(dot + 1)..];
        var end = rest.IndexOf('.');
        return new ObjectKey(end < 0 ? rest : rest[..end], reference[..dot]);
    }
}
