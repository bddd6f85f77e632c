using System.Text.Json;
using Canal.Contracts;

namespace Canal.Tests.Cmd;

/// <summary>The management API's contract is read strictly, so a server that drops or renames a field is noticed.</summary>
public sealed class ContractTests
{
    [Fact]
    public void An_answer_missing_a_field_the_client_prints_does_not_read()
    {
        const string withoutReason = """[{"host":"reviews.shop.svc.cluster.local","status":"redirected","gateway":"istio-system/canal","claimers":["shop/reviews"]}]""";

        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<List<HostView>>(withoutReason, ManagementJson.Options));
        Assert.Contains("reason", error.Message);
    }

    [Fact]
    public void A_null_where_the_contract_promises_a_value_does_not_read()
    {
        const string nullHost = """{"host":null,"status":"redirected","reason":"r","gateway":null,"claimers":[]}""";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<HostView>(nullHost, ManagementJson.Options));
    }

    [Fact]
    public void Every_field_is_written_nulls_included_and_text_is_not_escaped()
    {
        var json = JsonSerializer.Serialize(new HostView("a.b.svc.cluster.local", "skipped", "-> x", null, []), ManagementJson.Options);

        Assert.Equal("""{"host":"a.b.svc.cluster.local","status":"skipped","reason":"-> x","gateway":null,"claimers":[],"dns":null,"coverage":null}""", json);
    }
}
