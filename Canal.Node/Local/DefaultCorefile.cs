namespace Canal.Node.Local;

/// <summary>The Corefile kubeadm installs, used when local mode is pointed at a Corefile that does not exist yet.</summary>
internal static class DefaultCorefile
{
    public static string For(string clusterDomain) => $$"""
        .:53 {
            errors
            health {
               lameduck 5s
            }
            ready
            kubernetes {{clusterDomain}} in-addr.arpa ip6.arpa {
               pods insecure
               fallthrough in-addr.arpa ip6.arpa
               ttl 30
            }
            prometheus :9153
            forward . /etc/resolv.conf {
               max_concurrent 1000
            }
            cache 30
            loop
            reload
            loadbalance
        }

        """;
}
