namespace Canal.Tests.Support;

/// <summary>
/// TestKit configuration: in-memory journal and snapshots, Canal's serializer bound as in production. An expected message
/// is waited for up to 10 s (the default 3 s timed out under the whole suite's load on 2 cores); a wait ends when it comes.
/// </summary>
internal static class ActorTestConfig
{
    public const string Hocon = """
        akka.loglevel = WARNING
        akka.test.single-expect-default = 10s
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.actor.serializers.canal = "Canal.Serialization.CanalSerializer, Canal.Actors"
        akka.actor.serialization-bindings { "Canal.Serialization.ICanalMessage, Canal.Actors" = canal }
        akka.actor.serialization-identifiers { "Canal.Serialization.CanalSerializer, Canal.Actors" = 4711 }
        """;
}
