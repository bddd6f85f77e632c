namespace Canal.Serialization;

/// <summary>
/// Marks every persisted event and every message that may cross nodes; all of them are bound to
/// <see cref="CanalSerializer"/>, which writes them under stable manifests.
/// </summary>
public interface ICanalMessage;
