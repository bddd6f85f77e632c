namespace Canal.Tests.Support;

/// <summary>Waits for a condition by polling it until a deadline; the failure message says what was awaited.</summary>
internal static class Eventually
{
    public static Task True(Func<bool> condition, string what, TimeSpan? timeout = null) => True(condition, () => what, timeout);

    /// <param name="what">Built only on failure, so it can show the state at the deadline.</param>
    public static async Task True(Func<bool> condition, Func<string> what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for {what()}");
            await Task.Delay(50);
        }
    }
}
