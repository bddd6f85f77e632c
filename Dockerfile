# The controller's image: `docker build -t canal:0.1.0 .` (or `dotnet pwsh ./build.ps1 image`).
# It runs `dotnet canal.dll run`; other commands replace the arguments (`... canal:0.1.0 dns purge`).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first: the restore layer is reused until a dependency changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY Canal.Core/Canal.Core.csproj Canal.Core/
COPY Canal.Actors/Canal.Actors.csproj Canal.Actors/
COPY Canal.Contracts/Canal.Contracts.csproj Canal.Contracts/
COPY Canal.Node/Canal.Node.csproj Canal.Node/
RUN dotnet restore Canal.Node/Canal.Node.csproj
COPY Canal.Core/ Canal.Core/
COPY Canal.Actors/ Canal.Actors/
COPY Canal.Contracts/ Canal.Contracts/
COPY Canal.Node/ Canal.Node/
RUN dotnet publish Canal.Node/Canal.Node.csproj -c Release --no-restore -o /app -p:UseAppHost=false

# ASP.NET Core's runtime: Canal.Node runs on the Microsoft.AspNetCore.App shared framework.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# The journal's directory belongs to the image's non-root user; with a read-only root filesystem it and
# /tmp are the only places written (mount volumes on both).
RUN mkdir -p /var/lib/canal && chown "$APP_UID:$APP_UID" /var/lib/canal
USER $APP_UID
ENV Canal__Data=/var/lib/canal
VOLUME /var/lib/canal
# Akka remoting (cluster bootstrap finds it as the container port named remoting), the management API (health, metrics, canal-cmd).
EXPOSE 4053 9110
ENTRYPOINT ["dotnet", "canal.dll"]
CMD ["run"]
