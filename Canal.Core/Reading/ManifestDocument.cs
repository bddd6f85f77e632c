using System.Text.Json;
using Canal.GatewayApi;
using Canal.Istio;
using static Canal.Istio.JsonFields;

namespace Canal.Reading;

/// <summary>
/// One document of a manifest file (or an API list) as the objects Canal reads: Istio's (<see cref="ManifestDecoder"/>),
/// Services, and the Gateway API's (<see cref="GatewayApiDecoder"/>). Kinds Canal does not use are skipped.
/// </summary>
public static class ManifestDocument
{
    public static Manifests Decode(JsonElement document, string source, int documentIndex) =>
        Decode(document, source, documentIndex, "");

    /// <param name="itemType">For the items of a typed list (<c>VirtualServiceList</c>), the apiVersion and kind they
    /// have when they leave them out, as the Kubernetes API returns them.</param>
    private static Manifests Decode(JsonElement document, string source, int documentIndex, string prefix, (string ApiVersion, string Kind)? itemType = null)
    {
        if (document.ValueKind == JsonValueKind.Null)
            return Manifests.Empty;
        if (document.ValueKind != JsonValueKind.Object)
            return Failed(source, documentIndex, prefix, $"expected an object, found {Describe(document)}");
        try
        {
            var apiVersion = OptionalString(document, "apiVersion", prefix) ?? itemType?.ApiVersion;
            var kind = OptionalString(document, "kind", prefix) ?? itemType?.Kind;
            // Files without apiVersion and kind (values files, kustomizations, …) are not manifests.
            if (apiVersion == null && kind == null)
                return Manifests.Empty;
            if (apiVersion == null)
                throw new ManifestFieldException(Path(prefix, "apiVersion"), "is required");
            if (kind == null)
                throw new ManifestFieldException(Path(prefix, "kind"), "is required");

            var (group, version) = SplitApiVersion(apiVersion);
            if (kind.EndsWith("List", StringComparison.Ordinal) && document.TryGetProperty("items", out _))
                return DecodeList(document, source, documentIndex, prefix, kind == "List" ? null : (apiVersion, kind[..^"List".Length]));
            if (group == ManifestDecoder.IstioGroup && kind is "VirtualService" or "Gateway")
            {
                if (!ManifestDecoder.IstioVersions.Contains(version))
                    throw new ManifestFieldException(Path(prefix, "apiVersion"), $"{apiVersion} is not supported; use {string.Join(", ", ManifestDecoder.IstioVersions.Select(v => $"{ManifestDecoder.IstioGroup}/{v}"))}");
                return kind == "VirtualService"
                    ? Manifests.Empty with { VirtualServices = [ManifestDecoder.DecodeVirtualService(document, prefix)] }
                    : Manifests.Empty with { Gateways = [ManifestDecoder.DecodeGateway(document, prefix)] };
            }
            if (group == "" && version == "v1" && kind == "Service")
                return Manifests.Empty with { Services = [ManifestDecoder.DecodeService(document, prefix)] };
            return GatewayApiDecoder.Decode(group, version, kind, document, prefix) is { } gatewayApi
                ? Manifests.Empty with { GatewayApi = gatewayApi }
                : Manifests.Empty;
        }
        catch (ManifestFieldException e)
        {
            return Failed(source, documentIndex, e.Field, e.Message);
        }
    }

    private static Manifests DecodeList(JsonElement list, string source, int documentIndex, string prefix, (string, string)? itemType)
    {
        var result = Manifests.Empty;
        foreach (var (item, path) in Items(list, "items", prefix))
            result = result.Concat(Decode(item, source, documentIndex, path, itemType));
        return result;
    }

    private static (string Group, string Version) SplitApiVersion(string apiVersion)
    {
        var slash = apiVersion.IndexOf('/');
        return slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
    }

    private static Manifests Failed(string source, int document, string field, string message) =>
        Manifests.Empty with { Errors = [new ManifestError(source, document, field, message)] };
}
