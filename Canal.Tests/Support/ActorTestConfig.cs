namespace Canal.Tests.Support;

/// <summary>TestKit configuration: in-memory journal and snapshots, Canal's serializer bound as in production.</summary>
internal static class ActorTestConfig
{
    public const string Hocon = """
        akka.loglevel = WARNING
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.actor.serializers.canal = "Canal.Serialization.CanalSerializer, Canal.Actors"
        akka.actor.serialization-bindings { "Canal.Serialization.ICanalMessage, Canal.Actors" = canal }
        akka.actor.serialization-identifiers { "Canal.Serialization.CanalSerializer, Canal.Actors" = 4711 }
        """;
}
