#!/usr/bin/env pwsh
# Canal's one build script: `dotnet tool restore && dotnet pwsh ./build.ps1 <task>`.
#   build  compile the solution
#   test   install and start what the tests need, then run every test project
#   bench  run Canal.Benchmarks (arguments after the task go to it)
#   pack   package canal-cmd as a dotnet tool into ./artifacts
#   image  build the controller's container image (needs a Docker engine; says so when there is none)
#   demo   render the helloworld walkthrough's Corefile
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'bench', 'pack', 'image', 'demo')]
    [string] $Task = 'build',
    [string] $Configuration = 'Release',
    [Parameter(ValueFromRemainingArguments = $true)]
    [string[]] $Rest = @()
)

$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $true
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
Set-Location $PSScriptRoot

function Invoke-Build {
    dotnet build Canal.sln -c $Configuration --nologo -v quiet
}

# Everything the tests need beyond the .NET SDK is installed here, never by hand.
function Install-TestPrerequisites {
    # From Debian's packages: PostgreSQL (the tests start their own server in a temporary directory), Prometheus with
    # promtool and Alertmanager (the monitoring tests start their own on loopback).
    $missing = @()
    if (-not (Get-ChildItem /usr/lib/postgresql/*/bin/initdb -ErrorAction SilentlyContinue)) { $missing += 'postgresql' }
    if (-not (Get-Command promtool -ErrorAction SilentlyContinue)) { $missing += 'prometheus' }
    if (-not (Get-Command prometheus-alertmanager -ErrorAction SilentlyContinue)) { $missing += 'prometheus-alertmanager' }
    if ($missing.Count -gt 0) {
        Write-Host "Installing $($missing -join ', ') (Debian packages) for the tests"
        if ((id -u) -ne '0') { throw "$($missing -join ', ') missing and installing needs root: run apt-get install -y $($missing -join ' ')" }
        $env:DEBIAN_FRONTEND = 'noninteractive'
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends @missing
        if ($LASTEXITCODE -ne 0) { throw "apt-get install $($missing -join ' ') failed" }
    }
}

function Invoke-Test {
    Install-TestPrerequisites
    Invoke-Build
    $results = Join-Path $PSScriptRoot 'artifacts/test-results'
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    $failed = $false
    try {
        dotnet test Canal.sln -c $Configuration --no-build --nologo --logger 'trx' --logger 'console;verbosity=normal' --results-directory $results
    }
    catch {
        $failed = $true
    }
    # One plain closing line, whatever the runner printed above it.
    $passed = 0; $notPassed = 0; $skipped = 0
    foreach ($trx in Get-ChildItem $results -Filter *.trx -ErrorAction SilentlyContinue) {
        $counters = ([xml](Get-Content $trx.FullName -Raw)).TestRun.ResultSummary.Counters
        $passed += [int]$counters.passed
        $notPassed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        $skipped += [int]$counters.notExecuted
    }
    Write-Host "Tests: $passed passed, $notPassed failed, $skipped skipped"

    # The benchmarks are not tests, but every scenario must keep working: each runs once at N=100.
    $smoke = 'passed'
    try {
        dotnet run -c $Configuration --no-build --project Canal.Benchmarks -- smoke
    }
    catch {
        $smoke = 'FAILED'
    }
    Write-Host "Benchmark smoke run: $smoke"
    $leftover = Get-LeftoverCanals
    if ($leftover.Count -gt 0) {
        Write-Host "FAILED: $($leftover.Count) canal process(es) the suite started outlived it (now killed):"
        $leftover | ForEach-Object { Write-Host "  $($_.Id) $($_.CommandLine)"; Stop-Process -Id $_.Id -Force -ErrorAction SilentlyContinue }
    }
    if ($failed -or $notPassed -gt 0 -or $passed -eq 0 -or $smoke -ne 'passed' -or $leftover.Count -gt 0) { exit 1 }
}

# The canal processes started from this checkout's test and benchmark builds that are still running, after a grace of
# 10 s for those being stopped: every one must end with its test, or they pile up and skew every benchmark after them.
function Get-LeftoverCanals {
    $built = @('Canal.Tests', 'Canal.Benchmarks') | ForEach-Object { Join-Path $PSScriptRoot "$_/bin" }
    $deadline = (Get-Date).AddSeconds(10)
    do {
        $leftover = @(Get-Process -ErrorAction SilentlyContinue | Where-Object {
                # A kernel thread, a zombie or a process that just ended has no command line to read.
                $command = try { $_.CommandLine } catch { $null }
                $command -and $command -match 'canal(-cmd)?\.dll' -and ($built | Where-Object { $command.Contains($_) })
            })
        if ($leftover.Count -eq 0) { return @() }
        Start-Sleep -Milliseconds 500
    } while ((Get-Date) -lt $deadline)
    return $leftover
}

# Tagged with the canal-control chart's appVersion, the tag the chart pulls by default.
function Invoke-Image {
    $version = (Select-String -Path charts/canal-control/Chart.yaml -Pattern '^appVersion:\s*"?([^"\s]+)').Matches[0].Groups[1].Value
    $tag = "canal:$version"
    $engine = $false
    if (Get-Command docker -ErrorAction SilentlyContinue) {
        try {
            docker info *> $null
            $engine = $true
        }
        catch {
            # docker is installed but no engine answers; reported below.
        }
    }
    if (-not $engine) {
        Write-Host "No Docker engine is available (docker info did not answer): $tag was not built"
        return
    }
    docker build -t $tag .
}

switch ($Task) {
    'build' { Invoke-Build }
    'test' { Invoke-Test }
    'bench' { dotnet run -c Release --project Canal.Benchmarks -- @Rest }
    'image' { Invoke-Image }
    'pack' { dotnet pack Canal.Cmd -c $Configuration -o (Join-Path $PSScriptRoot 'artifacts') --nologo }
    'demo' { dotnet run -c $Configuration --project Canal.Node -- render --manifests samples/helloworld --corefile samples/helloworld/Corefile }
}
