/**
 * The network that gives connections to customers' mail servers fixed public IPs: a VPC whose
 * private subnets leave through NAT gateways with Elastic IPs that outlive the stack (new ones
 * are retained on delete; existing allocation ids can be passed so a re-created stack keeps
 * its published IPs), gateway endpoints so DynamoDB and S3 traffic does not pay NAT, and a
 * security group that lets functions out only to the SMTP ports and HTTPS.
 */
import { Fn, RemovalPolicy } from 'aws-cdk-lib';
import {
  CfnEIP,
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  IpAddresses,
  NatProvider,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ILogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { FunctionNetwork } from './function-with-log-group';

export interface EgressNetworkProps {
  /** NAT gateways, one per AZ at most (1 = one egress IP, lowest cost; 2 = survives an AZ outage). */
  readonly natGateways: number;
  /** Existing Elastic IP allocation ids, one per NAT gateway; empty = allocate new, retained EIPs. */
  readonly eipAllocationIds: readonly string[];
  /** TCP ports functions may open to customers' mail servers. */
  readonly smtpPorts: readonly number[];
  /** TCP ports functions may open to customers' IMAP servers (reading mailboxes). @default none */
  readonly imapPorts?: readonly number[];
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** Log group of the AwsCustomResource provider (shared by the stack's custom resources). */
  readonly customResourceLogGroup: ILogGroup;
  /** @default 10.20.0.0/16 */
  readonly cidr?: string;
}

export class EgressNetwork extends Construct {
  readonly vpc: Vpc;
  /** Public egress IPs (tokens resolved at deploy time), in NAT gateway order. */
  readonly egressIps: string[];
  /** The same, comma-separated: the EGRESS_IPS environment variable and the stack output. */
  readonly egressIpList: string;
  /** Security group of the functions that connect to customers' mail servers. */
  readonly smtpClientSecurityGroup: SecurityGroup;
  /** Where those functions run: the private subnets, behind the NAT. */
  readonly functionNetwork: FunctionNetwork;
  /** The Elastic IPs this stack allocated (empty when allocation ids were passed). */
  readonly allocatedEips: CfnEIP[];

  constructor(scope: Construct, id: string, props: EgressNetworkProps) {
    super(scope, id);

    this.allocatedEips = [];
    let allocationIds: string[];
    if (props.eipAllocationIds.length > 0) {
      allocationIds = [...props.eipAllocationIds];
      // The public IP of an existing allocation is not known at synth; look it up at deploy.
      const lookup = new AwsCustomResource(this, 'ExistingEipLookup', {
        resourceType: 'Custom::EgressIpLookup',
        onUpdate: {
          service: 'EC2',
          action: 'describeAddresses',
          parameters: { AllocationIds: allocationIds },
          physicalResourceId: PhysicalResourceId.of(allocationIds.join(',')),
          outputPaths: allocationIds.map((_, index) => `Addresses.${index}.PublicIp`),
        },
        policy: AwsCustomResourcePolicy.fromStatements([
          new PolicyStatement({ actions: ['ec2:DescribeAddresses'], resources: ['*'] }),
        ]),
        installLatestAwsSdk: false,
        logGroup: props.customResourceLogGroup,
      });
      NagSuppressions.addResourceSuppressions(
        lookup,
        [{ id: 'AwsSolutions-IAM5', reason: 'ec2:DescribeAddresses does not support resource-level permissions.', appliesTo: ['Resource::*'] }],
        true,
      );
      this.egressIps = allocationIds.map((_, index) => lookup.getResponseField(`Addresses.${index}.PublicIp`));
    } else {
      for (let index = 0; index < props.natGateways; index++) {
        const eip = new CfnEIP(this, `NatEip${index + 1}`, {
          domain: 'vpc',
          tags: [{ key: 'Name', value: `recruiting-mail-egress-${index + 1}` }],
        });
        // Customers allowlist these addresses: deleting the stack must not release them.
        eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
        this.allocatedEips.push(eip);
      }
      allocationIds = this.allocatedEips.map((eip) => eip.attrAllocationId);
      this.egressIps = this.allocatedEips.map((eip) => eip.attrPublicIp);
    }
    this.egressIpList = Fn.join(',', this.egressIps);

    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr(props.cidr ?? '10.20.0.0/16'),
      maxAzs: 2,
      natGateways: props.natGateways,
      natGatewayProvider: NatProvider.gateway({ eipAllocationIds: allocationIds }),
      subnetConfiguration: [
        { name: 'Public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      gatewayEndpoints: {
        DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB },
        S3: { service: GatewayVpcEndpointAwsService.S3 },
      },
      flowLogs: {
        All: {
          trafficType: FlowLogTrafficType.ALL,
          destination: FlowLogDestination.toCloudWatchLogs(
            new LogGroup(this, 'FlowLogs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy }),
          ),
        },
      },
    });

    this.smtpClientSecurityGroup = new SecurityGroup(this, 'SmtpClient', {
      vpc: this.vpc,
      allowAllOutbound: false,
      description: 'Functions that connect to customers mail servers: out to SMTP ports and HTTPS only, nothing in',
    });
    for (const port of props.smtpPorts) {
      this.smtpClientSecurityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(port), `SMTP to customers' servers on ${port}`);
    }
    for (const port of props.imapPorts ?? []) {
      this.smtpClientSecurityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(port), `IMAP to customers' servers on ${port}`);
    }
    this.smtpClientSecurityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to AWS APIs (KMS, SES, SQS, X-Ray; DynamoDB and S3 via gateway endpoints)');

    this.functionNetwork = {
      vpc: this.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.smtpClientSecurityGroup],
    };
  }
}
